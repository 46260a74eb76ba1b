package dev.collab.gateway;

import dev.collab.api.CredentialAccounts.Account;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import org.jboss.logging.Logger;

/**
 * One client request through an account pool: choose an account, send, and when the provider says the account is
 * exhausted (429, 529, or a rate_limit_error/overloaded_error event before any content) while the client has seen
 * nothing, cool that account down and send the kept body to the next one. Without a kept body (single account, or a
 * body over the retry limit) the request streams to one account and every answer passes through.
 */
final class PoolExchange {
    private static final Logger LOG = Logger.getLogger(PoolExchange.class);

    private final ProxyDeps deps;
    private final HttpServerRequest req;
    private final HttpServerResponse resp;
    private final GatewayDirectory.Target target;
    private final AccountPool pool;
    private final RealCredentials.Kind presented;
    private final String upstreamBase;
    private final Set<String> tried = new HashSet<>();
    /** When the request arrived: the time to first byte is measured from here (retries on other accounts included). */
    private final long arrived = System.nanoTime();

    private Buffer body;
    private boolean open;
    /** The client closed its connection: what fails upstream after that is not the provider's failure. */
    private boolean clientGone;
    /** The gateway refused the streamed body (413) and reset the provider request itself. */
    private boolean bodyRefused;

    PoolExchange(
            ProxyDeps deps,
            HttpServerRequest req,
            GatewayDirectory.Target target,
            AccountPool pool,
            RealCredentials.Kind presented,
            String upstreamBase) {
        this.deps = deps;
        this.req = req;
        this.resp = req.response();
        this.target = target;
        this.pool = pool;
        this.presented = presented;
        this.upstreamBase = upstreamBase;
    }

    /** Keeps the body for retries when the pool has somewhere to retry to and the body is small enough. */
    void start() {
        long length = GatewayProxy.contentLength(req);
        boolean retryable = pool.accounts().pool()
                && pool.accounts().list().size() > 1
                && length >= 0
                && length <= deps.settings().pools().retryBodyLimit();
        deps.metrics().opened();
        open = true;
        resp.closeHandler(v -> {
            clientGone = true;
            done();
        });
        if (!retryable) {
            attempt();
            return;
        }
        req.body().onComplete(ar -> {
            if (ar.failed()) {
                done();
                return; // the client went away while sending
            }
            body = ar.result();
            attempt();
        });
        req.resume(); // paused by the proxy until it knew where the body goes
    }

    private void done() {
        if (open) {
            open = false;
            deps.metrics().closed();
        }
    }

    private void attempt() {
        Instant now = deps.clock().instant();
        AccountPool.Choice choice = pool.choose(presented, tried, now);
        if (choice instanceof AccountPool.Choice.Use use) {
            deps.tokens().credential(pool, use.account()).onComplete(ar -> {
                if (ar.succeeded()) {
                    send(use.account(), ar.result());
                } else if (ar.cause() instanceof OAuthRefresher.ReloginRequired) {
                    tried.add(use.account().name());
                    attempt(); // the next account, or why there is none
                } else {
                    fail(ar.cause());
                }
            });
        } else if (choice instanceof AccountPool.Choice.AllCoolingDown cooling) {
            allCoolingDown(cooling.earliestReset(), now);
        } else {
            done();
            deps.metrics().refused("no-credential");
            GatewayErrors.send(resp, 503, "api_error", ((AccountPool.Choice.Unusable) choice).message());
        }
    }

    private void allCoolingDown(Instant reset, Instant now) {
        done();
        deps.metrics().refused("all-cooling-down");
        long seconds = Math.max(1, Duration.between(now, reset).toSeconds() + 1);
        resp.putHeader("retry-after", Long.toString(seconds));
        GatewayErrors.send(
                resp,
                429,
                "rate_limit_error",
                "every account of " + pool.secretName() + " is rate limited; the earliest resets at " + reset,
                reset);
    }

    private void fail(Throwable cause) {
        done();
        LOG.debugf("session %s/%s: %s", target.namespace(), target.name(), cause.toString());
        GatewayErrors.send(resp, 502, "api_error", "the OAuth token could not be refreshed; try again");
    }

    private void send(Account account, RealCredentials.Credential credential) {
        if (!open) {
            return;
        }
        URI upstream = deps.settings().upstream();
        boolean tls = "https".equalsIgnoreCase(upstream.getScheme());
        RequestOptions options = new RequestOptions()
                .setMethod(req.method())
                // Host, port and scheme from the configured upstream, already parsed (a URL parse per request was
                // profiled); path and query only from the client: an absolute-form target must not choose the host
                .setHost(upstream.getHost())
                .setPort(upstream.getPort() != -1 ? upstream.getPort() : tls ? 443 : 80)
                .setSsl(tls)
                .setURI(upstreamBase + req.path() + (req.query() == null ? "" : "?" + req.query()));
        deps.clients().get().request(options).onComplete(ar -> {
            if (ar.failed()) {
                upstreamFailed(ar.cause());
                return;
            }
            HttpClientRequest up = ar.result();
            // straight into the request's own headers: options.setHeaders would copy a map built for it
            GatewayHeaders.upstreamHeaders(req.headers(), credential, up.headers());
            up.exceptionHandler(err -> LOG.debugf("upstream request of %s ended: %s", target.name(), err.toString()));
            long timer = deps.vertx()
                    .setTimer(Math.max(1, deps.settings().upstreamTimeout().toMillis()), id -> {
                        upstreamFailed(new TimeoutException());
                        up.reset(0, new TimeoutException());
                    });
            up.response().onComplete(rar -> {
                deps.vertx().cancelTimer(timer);
                if (rar.failed()) {
                    upstreamFailed(rar.cause());
                } else {
                    answered(account, rar.result());
                }
            });
            if (body != null) {
                resp.closeHandler(v -> {
                    clientGone = true;
                    done();
                    up.reset();
                });
                up.end(body);
                return;
            }
            if (req.headers().contains(HttpHeaders.TRANSFER_ENCODING)
                    && !req.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
                up.setChunked(true);
            }
            RequestBodyPump pump = new RequestBodyPump(req, up, GatewayProxy.MAX_BODY, () -> {
                deps.vertx().cancelTimer(timer);
                tooLarge();
            });
            resp.closeHandler(v -> {
                clientGone = true;
                done();
                pump.abandon();
                up.reset();
            });
            pump.start();
        });
    }

    /** A body without a declared length passed the limit while streaming: 413, then the client connection closes. */
    private void tooLarge() {
        bodyRefused = true;
        done();
        deps.metrics().refused("too-large");
        if (resp.headWritten()) {
            resp.reset(); // the provider's answer has begun: it cannot become a 413
            return;
        }
        resp.putHeader(HttpHeaders.CONNECTION, "close");
        GatewayErrors.send(
                resp, 413, "request_too_large", "request body larger than " + GatewayProxy.MAX_BODY + " bytes");
        // the rest of the body is not read: the answer gets a moment to leave before the connection closes
        deps.vertx().setTimer(200, id -> req.connection().close());
    }

    private void answered(Account account, HttpClientResponse upResp) {
        // until relayed: a reset of an answer dropped for a retry is expected, not an error
        upResp.exceptionHandler(err -> LOG.debugf("upstream answer of %s ended: %s", target.name(), err.toString()));
        Instant now = deps.clock().instant();
        tried.add(account.name());
        boolean canRetry = body != null && pool.hasAnother(presented, tried, now);
        if (RateLimits.exhausted(upResp.statusCode())) {
            Instant reset = RateLimits.resetAt(
                    upResp.headers(), now, deps.settings().pools().defaultCooldown());
            if (Duration.between(now, reset).compareTo(deps.settings().pools().rotateThreshold()) >= 0) {
                pool.coolDown(account, reset, "HTTP " + upResp.statusCode());
                deps.metrics().rotation(target, account.name(), "http-" + upResp.statusCode());
                if (canRetry) {
                    upResp.request().reset(); // nothing of it reached the client
                    attempt();
                    return;
                }
            }
            relay(account, upResp, null);
            return;
        }
        boolean stream =
                String.valueOf(upResp.getHeader(HttpHeaders.CONTENT_TYPE)).startsWith("text/event-stream");
        if (upResp.statusCode() / 100 == 2 && stream && canRetry) {
            gate(account, upResp);
            return;
        }
        relay(account, upResp, null);
    }

    /** Holds the stream's first events until content arrives; an exhausted-account error before it: next account. */
    private void gate(Account account, HttpClientResponse upResp) {
        StreamGate gate = new StreamGate();
        boolean[] decided = {false};
        upResp.handler(chunk -> {
            if (decided[0]) {
                return;
            }
            switch (gate.feed(chunk)) {
                case HOLD -> {}
                case RELEASE -> {
                    decided[0] = true;
                    relay(account, upResp, gate.held());
                }
                case REJECT -> {
                    decided[0] = true;
                    Instant now = deps.clock().instant();
                    pool.coolDown(
                            account,
                            RateLimits.resetAt(
                                    upResp.headers(),
                                    now,
                                    deps.settings().pools().defaultCooldown()),
                            gate.rejectedType() + " in stream");
                    deps.metrics().rotation(target, account.name(), gate.rejectedType());
                    upResp.request().reset();
                    attempt();
                }
            }
        });
        upResp.endHandler(v -> {
            if (!decided[0]) {
                decided[0] = true;
                deps.metrics().firstByte(System.nanoTime() - arrived);
                new ResponseRelay(deps, target, pool, account, this::done)
                        .relay(resp, upResp, gate.held(), messages(), true);
            }
        });
    }

    private void relay(Account account, HttpClientResponse upResp, Buffer held) {
        deps.metrics().firstByte(System.nanoTime() - arrived);
        new ResponseRelay(deps, target, pool, account, this::done).relay(resp, upResp, held, messages(), false);
    }

    private boolean messages() {
        return req.method() == HttpMethod.POST && req.path().endsWith("/messages");
    }

    private void upstreamFailed(Throwable cause) {
        done();
        if (bodyRefused) {
            return; // answered 413 already; the reset was ours
        }
        if (clientGone) {
            // the client's own disconnect reset the provider request: not a provider failure, nobody to answer
            deps.metrics().clientClosed();
            return;
        }
        deps.metrics().upstreamError(GatewayErrors.upstreamFailure(resp, cause));
        LOG.debugf(
                "upstream failure for %s/%s: %s",
                target.namespace(), target.name(), cause.getClass().getSimpleName());
        if (!resp.ended() && !resp.closed()) {
            resp.reset();
        }
    }
}
