package dev.collab.gateway;

import dev.collab.api.CredentialAccounts.Account;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;

/**
 * The provider's answer to the client, chunk by chunk (after what a {@link StreamGate} held, if anything), with usage
 * read as it passes and added to the session (status.usage), the account (pool state) and the owner's budget.
 */
final class ResponseRelay {
    private final ProxyDeps deps;
    private final GatewayDirectory.Target target;
    private final AccountPool pool;
    private final Account account;
    private final Runnable done;

    ResponseRelay(ProxyDeps deps, GatewayDirectory.Target target, AccountPool pool, Account account, Runnable done) {
        this.deps = deps;
        this.target = target;
        this.pool = pool;
        this.account = account;
        this.done = done;
    }

    /** {@code ended}: the provider's response already ended while held (only {@code held} is left to send). */
    void relay(HttpServerResponse resp, HttpClientResponse upResp, Buffer held, boolean messages, boolean ended) {
        if (resp.ended() || resp.closed() || resp.headWritten()) {
            done.run();
            upResp.request().reset();
            return;
        }
        resp.setStatusCode(upResp.statusCode());
        GatewayHeaders.copyResponseHeaders(upResp.headers(), resp.headers());
        if (!upResp.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
            resp.setChunked(true);
        }
        boolean counts = messages && upResp.statusCode() / 100 == 2;
        UsageTap tap = counts ? UsageTap.forContentType(upResp.getHeader(HttpHeaders.CONTENT_TYPE)) : null;
        if (String.valueOf(upResp.getHeader(HttpHeaders.CONTENT_TYPE)).startsWith("text/event-stream")) {
            resp.putHeader("X-Accel-Buffering", "no");
            resp.writeHead(); // the client sees the stream open before the first event
        }
        if (held != null && held.length() > 0) {
            resp.write(held);
            if (tap != null) {
                tap.feed(held);
            }
        }
        if (ended) {
            finish(resp, tap);
            return;
        }
        ChunkBatch batch = new ChunkBatch(resp, upResp);
        upResp.handler(buf -> {
            batch.add(buf); // first: the client's bytes never wait for the usage reader
            if (tap != null) {
                tap.feed(buf);
            }
        });
        upResp.endHandler(v -> {
            batch.flush();
            finish(resp, tap);
        });
        upResp.exceptionHandler(err -> {
            done.run();
            if (!resp.ended() && !resp.closed()) {
                resp.reset();
            }
        });
    }

    private void finish(HttpServerResponse resp, UsageTap tap) {
        done.run();
        resp.end();
        if (tap != null) {
            Usage usage = tap.result();
            long cost = deps.ledger().record(target, account.name(), usage);
            pool.count(account, usage);
            deps.budgets().add(target.owner(), usage, cost, deps.clock().instant());
            deps.metrics().accountUsage(target, account.name(), usage);
        }
    }
}
