package dev.collab.operator;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One HTTP call to opencode bounded as a whole. The request timeout of the JDK client ends with the response headers:
 * an opencode that sends them and then never finishes the body would hold the calling thread (and, for
 * {@link BackgroundCalls}, that session's probe) forever.
 */
final class Bounded {
    private Bounded() {}

    /** Sends; throws {@link TimeoutException} when connect, headers and body together take longer than twice the timeout. */
    static <T> HttpResponse<T> send(
            HttpClient http, HttpRequest request, HttpResponse.BodyHandler<T> body, Duration timeout) throws Exception {
        CompletableFuture<HttpResponse<T>> call = http.sendAsync(request, body);
        try {
            return call.get(timeout.multipliedBy(2).toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            call.cancel(true);
            throw e;
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }
}
