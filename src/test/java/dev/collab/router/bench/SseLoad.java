package dev.collab.router.bench;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Opens N idle SSE streams (each on its own connection) and keeps them open until killed. Prints
 * "CONNECTED n failed=f" once every stream has either received its first event or failed.
 * Usage: SseLoad host port path token n
 */
public final class SseLoad {
    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        String path = args[2];
        String token = args[3];
        int n = Integer.parseInt(args[4]);
        Vertx vertx = Vertx.vertx();
        HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setConnectTimeout(60_000),
                new PoolOptions().setHttp1MaxSize(n + 10).setMaxWaitQueueSize(-1));
        AtomicInteger connected = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        Semaphore inFlight = new Semaphore(200);
        for (int i = 0; i < n; i++) {
            inFlight.acquire();
            boolean[] counted = { false };
            Runnable done = () -> {
                if (!counted[0]) {
                    counted[0] = true;
                    inFlight.release();
                }
            };
            client.request(new RequestOptions().setMethod(HttpMethod.GET).setHost(host).setPort(port).setURI(path)
                    .putHeader("Authorization", "Bearer " + token))
                    .compose(req -> req.send())
                    .onSuccess(resp -> {
                        if (resp.statusCode() != 200) {
                            failed.incrementAndGet();
                            done.run();
                            return;
                        }
                        resp.handler(buf -> {
                            if (!counted[0]) {
                                connected.incrementAndGet();
                                done.run();
                            }
                        });
                        resp.exceptionHandler(e -> done.run());
                    })
                    .onFailure(e -> {
                        failed.incrementAndGet();
                        done.run();
                    });
        }
        inFlight.acquire(200);
        System.out.println("CONNECTED " + connected.get() + " failed=" + failed.get());
        System.out.flush();
        Thread.currentThread().join();
    }
}
