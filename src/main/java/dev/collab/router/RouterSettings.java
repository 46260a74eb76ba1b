package dev.collab.router;

import java.time.Duration;
import java.util.List;

/**
 * What the router needs from configuration, as plain values so the router classes can be built without CDI.
 *
 * @param namespaces         namespaces whose sessions are routed; empty = every namespace
 * @param routerNamespace    namespace of the router's own Secret holding the admin token
 * @param adminTokenSecret   name of that Secret (key {@code token})
 * @param maxBody            request body cap of proxied requests, in bytes (413 above)
 * @param maxCredentialBody  body cap of credential uploads, in bytes
 * @param wakeWait           how long a request for a stopped or starting session waits for its endpoint
 * @param upstreamTimeout    how long the router waits for upstream response headers (504 after)
 * @param defaultIdleTimeout idle timeout of sessions whose spec sets none (zero = never evicted)
 * @param sessionDomain      base domain of host-based routing ({@code <session>.<domain>}), or null: path routing only
 * @param allowedOrigins     origins besides the router's own accepted on cookie-authenticated requests
 */
public record RouterSettings(
        List<String> namespaces,
        String routerNamespace,
        String adminTokenSecret,
        long maxBody,
        long maxCredentialBody,
        Duration wakeWait,
        Duration upstreamTimeout,
        Duration defaultIdleTimeout,
        String sessionDomain,
        List<String> allowedOrigins) {

    /** A Secret holds at most 1 MiB; a credential file is a few KiB. */
    public static final long CREDENTIAL_BODY_LIMIT = 256 * 1024;

    public RouterSettings {
        namespaces = namespaces == null ? List.of() : List.copyOf(namespaces);
        sessionDomain = sessionDomain == null || sessionDomain.isBlank()
                ? null
                : sessionDomain.trim().toLowerCase(java.util.Locale.ROOT).replaceAll("^\\.+|\\.+$", "");
        allowedOrigins = allowedOrigins == null
                ? List.of()
                : allowedOrigins.stream()
                        .map(String::trim)
                        .filter(o -> !o.isEmpty())
                        .toList();
    }

    /** Without host-based routing and extra origins. */
    public RouterSettings(
            List<String> namespaces,
            String routerNamespace,
            String adminTokenSecret,
            long maxBody,
            long maxCredentialBody,
            Duration wakeWait,
            Duration upstreamTimeout,
            Duration defaultIdleTimeout) {
        this(
                namespaces,
                routerNamespace,
                adminTokenSecret,
                maxBody,
                maxCredentialBody,
                wakeWait,
                upstreamTimeout,
                defaultIdleTimeout,
                null,
                List.of());
    }

    public RouterSettings withBrowser(String domain, List<String> origins) {
        return new RouterSettings(
                namespaces,
                routerNamespace,
                adminTokenSecret,
                maxBody,
                maxCredentialBody,
                wakeWait,
                upstreamTimeout,
                defaultIdleTimeout,
                domain,
                origins);
    }

    public RouterSettings withWakeWait(Duration wait) {
        return new RouterSettings(
                namespaces,
                routerNamespace,
                adminTokenSecret,
                maxBody,
                maxCredentialBody,
                wait,
                upstreamTimeout,
                defaultIdleTimeout,
                sessionDomain,
                allowedOrigins);
    }

    public RouterSettings withUpstreamTimeout(Duration timeout) {
        return new RouterSettings(
                namespaces,
                routerNamespace,
                adminTokenSecret,
                maxBody,
                maxCredentialBody,
                wakeWait,
                timeout,
                defaultIdleTimeout,
                sessionDomain,
                allowedOrigins);
    }
}
