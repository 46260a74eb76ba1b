package dev.collab.gateway;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * The egress proxy of Gateway-mode sessions (its own port): {@code CONNECT host:port} tunnels and absolute-form
 * {@code http://} requests, from session pods only. Named steps in order: credential (the session's placeholder as
 * the Basic password), source address, target, budget, allowlist, resolution (every address checked), connection.
 * No TLS is terminated: a tunnel is bytes. Every refusal is JSON in the gateway's error shape, with the host and how
 * to allow it when the allowlist refused.
 */
final class EgressProxy implements Handler<HttpServerRequest> {
    static final String REALM = "Basic realm=\"collab-egress\"";

    private final EgressDeps deps;
    private final EgressPolicy policy;

    EgressProxy(EgressDeps deps) {
        this.deps = deps;
        this.policy = new EgressPolicy(
                deps.settings().egress().allow(), deps.settings().egress().denyRanges());
    }

    @Override
    public void handle(HttpServerRequest req) {
        req.pause();
        if (!deps.directory().synced()) {
            refuse(req, null, 503, "overloaded_error", "starting: session directory not synced yet", "starting", null);
            return;
        }
        String placeholder = placeholder(req.getHeader(HttpHeaders.PROXY_AUTHORIZATION));
        GatewayDirectory.Target target = placeholder == null
                ? null
                : deps.directory().byPlaceholder(placeholder).orElse(null);
        if (target == null) {
            req.response().putHeader("proxy-authenticate", REALM);
            refuse(
                    req,
                    null,
                    407,
                    "authentication_error",
                    "the egress proxy needs a Gateway-mode session's placeholder as its password (HTTPS_PROXY of the"
                            + " session pod)",
                    placeholder == null ? "missing" : "unknown",
                    null);
            return;
        }
        if (deps.settings().checkSourceIp() && !GatewayProxy.fromSessionPod(req, target)) {
            refuse(
                    req,
                    target,
                    403,
                    "permission_error",
                    "placeholder of session " + target.name() + " presented from an address other than its (Ready) pod",
                    "address",
                    null);
            return;
        }
        EgressTarget dest = EgressTarget.of(req);
        if (dest == null) {
            refuse(
                    req,
                    target,
                    400,
                    "invalid_request_error",
                    "send CONNECT host:port, or an absolute http:// URI",
                    "bad-request",
                    null);
            return;
        }
        Budgets.Refusal over = deps.budgets().checkEgress(target, deps.clock().instant());
        if (over != null) {
            refuse(req, target, 429, "rate_limit_error", over.message(), "budget", null);
            if (over.first()) {
                event(target, over.message());
            }
            return;
        }
        EgressPolicy.Decision decision = policy.decide(target.egress(), dest.host(), dest.port());
        if (!decision.allowed()) {
            denied(req, target, dest, decision.refusal(), "not-allowed");
            return;
        }
        deps.vertx()
                .executeBlocking(() -> List.of(InetAddress.getAllByName(dest.bareHost())), false)
                .onComplete(resolved -> {
                    if (resolved.failed()) {
                        refuse(req, target, 502, "api_error", "cannot resolve " + dest.host(), "unresolvable", null);
                        return;
                    }
                    List<InetAddress> usable = policy.usable(target.egress(), dest.port(), resolved.result());
                    if (usable.isEmpty()) {
                        denied(
                                req,
                                target,
                                dest,
                                dest.host() + " resolves only to private, loopback, link-local,"
                                        + " reserved or cluster addresses " + resolved.result(),
                                "forbidden-address");
                        return;
                    }
                    EgressMeter meter = new EgressMeter(
                            target,
                            decision.rule().text(),
                            deps.metrics(),
                            deps.budgets(),
                            deps.ledger(),
                            deps.clock());
                    if (dest.tunnel()) {
                        EgressConnections.tunnel(deps, req, dest, usable, meter);
                    } else {
                        EgressConnections.forward(deps, req, dest, usable, meter);
                    }
                });
    }

    /** Refused by the allowlist or the address rules: 403, an EgressDenied Event (rate-limited), status.egress. */
    private void denied(
            HttpServerRequest req, GatewayDirectory.Target target, EgressTarget dest, String why, String reason) {
        String entry = dest.host() + (dest.port() == 443 || dest.port() == 80 ? "" : ":" + dest.port());
        JsonObject extra = new JsonObject()
                .put("host", dest.host())
                .put("port", dest.port())
                .put(
                        "allow",
                        "add \"" + entry + "\" to spec.egress.allow of CollabSession " + target.namespace()
                                + "/" + target.name() + " (or to the gateway's collab.gateway.egress.allow); a private"
                                + " address also needs its range listed, e.g. 10.1.2.0/24");
        refuse(req, target, 403, "egress_denied", why, reason, extra);
        deps.ledger().recordEgress(target, true, 0, 0);
        event(target, "egress to " + dest.host() + ":" + dest.port() + " refused: " + why);
    }

    private void event(GatewayDirectory.Target target, String message) {
        deps.vertx()
                .executeBlocking(
                        () -> {
                            deps.events().egressDenied(target, message);
                            return null;
                        },
                        false);
    }

    private void refuse(
            HttpServerRequest req,
            GatewayDirectory.Target target,
            int status,
            String type,
            String message,
            String reason,
            JsonObject extra) {
        deps.metrics().refused(target, reason);
        req.resume();
        GatewayErrors.send(req.response(), status, type, message, extra);
    }

    /** The password of {@code Proxy-Authorization: Basic base64(user:password)}, or null. */
    static String placeholder(String header) {
        if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
            return null;
        }
        try {
            String decoded =
                    new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
            int colon = decoded.indexOf(':');
            return colon < 0 || colon == decoded.length() - 1 ? null : decoded.substring(colon + 1);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
