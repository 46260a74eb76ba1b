package dev.collab.router;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.NetSocket;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/** Pipeline step for WebSocket upgrades: forwards the upgrade, then splices the two TCP streams. */
final class WebSocketTunnel {
    private final UpstreamRelay relay;
    private final ActivityTracker activity;
    private final RouterMetrics metrics;

    WebSocketTunnel(UpstreamRelay relay, ActivityTracker activity, RouterMetrics metrics) {
        this.relay = relay;
        this.activity = activity;
        this.metrics = metrics;
    }

    static boolean isUpgrade(HttpServerRequest req) {
        if (req.method() != HttpMethod.GET) {
            return false;
        }
        String upgrade = req.getHeader(HttpHeaders.UPGRADE);
        String connection = req.getHeader(HttpHeaders.CONNECTION);
        return upgrade != null && upgrade.equalsIgnoreCase("websocket") && connection != null
                && connection.toLowerCase(Locale.ROOT).contains("upgrade");
    }

    void open(ProxyExchange ex, HttpClientRequest up) {
        HttpServerRequest req = ex.request();
        HttpServerResponse resp = ex.response();
        long timer = relay.upstreamTimer(resp, up, ex.name);
        up.connect().onComplete(ar -> {
            relay.cancelTimer(timer);
            if (ar.failed()) {
                UpstreamRelay.upstreamFailed(resp, ex.name, ar.cause());
                return;
            }
            HttpClientResponse upResp = ar.result();
            if (upResp.statusCode() != 101) {
                relay.respond(ex, upResp, false);
                req.resume();
                return;
            }
            resp.setStatusCode(101);
            for (Map.Entry<String, String> e : upResp.headers()) {
                resp.headers().add(e.getKey(), e.getValue());
            }
            NetSocket upstream = upResp.netSocket();
            req.resume();
            req.toNetSocket().onComplete(sar -> {
                if (sar.failed()) {
                    upstream.close();
                    return;
                }
                splice(ex, sar.result(), upstream);
            });
        });
    }

    private void splice(ProxyExchange ex, NetSocket downstream, NetSocket upstream) {
        metrics.streamOpened();
        AtomicBoolean open = new AtomicBoolean(true);
        Runnable mark = () -> activity.mark(ex.session);
        UpstreamRelay.pump(downstream, upstream, mark);
        UpstreamRelay.pump(upstream, downstream, mark);
        Handler<Void> closeBoth = v -> {
            if (open.compareAndSet(true, false)) {
                metrics.streamClosed();
            }
            downstream.close();
            upstream.close();
        };
        downstream.closeHandler(closeBoth);
        upstream.closeHandler(closeBoth);
        downstream.exceptionHandler(err -> closeBoth.handle(null));
        upstream.exceptionHandler(err -> closeBoth.handle(null));
    }
}
