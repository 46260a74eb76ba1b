package dev.collab.router;

import io.vertx.core.Handler;
import io.vertx.core.net.HostAndPort;
import io.vertx.ext.web.RoutingContext;
import java.util.Locale;

/**
 * Host-based routing: a request for {@code <session>.<session-domain>} goes to that session with its whole path,
 * so opencode's web UI, which loads root-relative {@code /assets/...}, works. Other hosts fall through to path
 * routing and the collab endpoints.
 */
final class HostRouting implements Handler<RoutingContext> {
    private final String suffix;
    private final ProxyHandler proxy;

    HostRouting(String sessionDomain, ProxyHandler proxy) {
        this.suffix = "." + sessionDomain;
        this.proxy = proxy;
    }

    @Override
    public void handle(RoutingContext ctx) {
        String session = session(ctx.request().authority());
        if (session == null) {
            ctx.next();
            return;
        }
        proxy.proxy(ctx, session, "");
    }

    /** The session a host names, or null. */
    String session(HostAndPort authority) {
        if (authority == null) {
            return null;
        }
        String host = authority.host();
        int n = host.length() - suffix.length();
        if (n <= 0 || !host.regionMatches(true, n, suffix, 0, suffix.length())) {
            return null;
        }
        return host.substring(0, n).toLowerCase(Locale.ROOT);
    }
}
