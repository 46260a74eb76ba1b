package dev.collab.gateway;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.NetSocket;
import java.net.InetAddress;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The allowed part of the egress proxy: connect to the first reachable checked address (never to the name again,
 * so a second DNS answer cannot move the connection elsewhere), then splice a tunnel or relay one plain HTTP request.
 */
final class EgressConnections {
    private EgressConnections() {}

    static void tunnel(
            EgressDeps deps, HttpServerRequest req, EgressTarget dest, List<InetAddress> addresses, EgressMeter meter) {
        connect(deps, addresses, 0, dest.port()).onComplete(up -> {
            if (up.failed()) {
                meter.done();
                req.resume();
                GatewayErrors.send(
                        req.response(),
                        502,
                        "api_error",
                        "cannot connect to " + dest.host() + ":" + dest.port() + " ("
                                + up.cause().getMessage() + ")");
                return;
            }
            NetSocket upstream = up.result();
            upstream.pause();
            req.toNetSocket().onComplete(down -> {
                if (down.failed()) {
                    upstream.close();
                    meter.done();
                    return;
                }
                splice(down.result(), upstream, meter);
            });
        });
    }

    private static void splice(NetSocket client, NetSocket upstream, EgressMeter meter) {
        EgressPump.pump(client, upstream, meter::up, upstream::close);
        EgressPump.pump(upstream, client, meter::down, client::close);
        client.closeHandler(v -> {
            upstream.close();
            meter.done();
        });
        upstream.closeHandler(v -> {
            client.close();
            meter.done();
        });
        upstream.resume();
        client.resume();
    }

    /** One address after another until one accepts. */
    private static io.vertx.core.Future<NetSocket> connect(
            EgressDeps deps, List<InetAddress> addresses, int i, int port) {
        return deps.net()
                .connect(port, addresses.get(i).getHostAddress())
                .recover(e -> i + 1 < addresses.size()
                        ? connect(deps, addresses, i + 1, port)
                        : io.vertx.core.Future.failedFuture(e));
    }

    static void forward(
            EgressDeps deps, HttpServerRequest req, EgressTarget dest, List<InetAddress> addresses, EgressMeter meter) {
        RequestOptions options = new RequestOptions()
                .setMethod(req.method())
                .setHost(addresses.get(0).getHostAddress())
                .setPort(dest.port())
                .setURI(dest.pathAndQuery())
                .setIdleTimeout(deps.settings().egress().idleTimeout().toMillis());
        HttpServerResponse resp = req.response();
        deps.http().request(options).onComplete(created -> {
            if (created.failed()) {
                meter.done();
                req.resume();
                GatewayErrors.send(resp, 502, "api_error", "cannot connect to " + dest.host() + ":" + dest.port());
                return;
            }
            HttpClientRequest out = created.result();
            copyHeaders(req.headers(), out.headers());
            out.putHeader(HttpHeaders.HOST, dest.hostHeader());
            if (req.getHeader(HttpHeaders.CONTENT_LENGTH) == null) {
                out.setChunked(req.headers().contains(HttpHeaders.TRANSFER_ENCODING));
            }
            out.response().onComplete(answered -> {
                if (answered.failed()) {
                    meter.done();
                    GatewayErrors.send(resp, 502, "api_error", "no answer from " + dest.host());
                    return;
                }
                relay(answered.result(), resp, meter);
            });
            resp.closeHandler(v -> {
                out.reset();
                meter.done();
            });
            EgressPump.pump(req, out, meter::up, out::end);
            req.resume();
        });
    }

    private static void relay(HttpClientResponse in, HttpServerResponse resp, EgressMeter meter) {
        resp.setStatusCode(in.statusCode());
        copyHeaders(in.headers(), resp.headers());
        if (in.getHeader(HttpHeaders.CONTENT_LENGTH) == null) {
            resp.setChunked(true);
        }
        EgressPump.pump(in, resp, meter::down, () -> {
            resp.end();
            meter.done();
        });
    }

    private static void copyHeaders(MultiMap from, MultiMap to) {
        String listed = from.get(HttpHeaders.CONNECTION);
        Set<String> named = new java.util.HashSet<>();
        if (listed != null) {
            named.addAll(
                    List.of(listed.toLowerCase(Locale.ROOT).replace(" ", "").split(",")));
        }
        from.forEach((name, value) -> {
            String n = name.toLowerCase(Locale.ROOT);
            if (!GatewayHeaders.HOP_BY_HOP.contains(n) && !named.contains(n) && !n.equals("host")) {
                to.add(name, value);
            }
        });
    }
}
