package dev.collab.operator;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * opencode's own way to take credentials without a restart (opencode-ai 1.18.33, docs/DESIGN.md section 9):
 * {@code PUT /auth/{provider}} per auth.json entry (writes auth.json), then {@code POST /instance/dispose} so the
 * next request loads them. Authenticated with the worker's server password.
 */
public final class OpencodeCredentialDelivery implements CredentialDelivery {
    private static final Pattern PROVIDER = Pattern.compile("[A-Za-z0-9._-]{1,100}");
    private final HttpClient http;
    private final Duration timeout;

    public OpencodeCredentialDelivery(Duration timeout) {
        this.timeout = timeout;
        // HTTP/1.1: the JDK client's default h2c upgrade on a request with a body makes opencode's (Bun) server drop
        // the connection unanswered (measured with opencode 1.18.33).
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(timeout)
                .build();
    }

    @Override
    public boolean deliver(String endpoint, String serverPassword, Map<String, String> authEntries) {
        String basic = "Basic "
                + Base64.getEncoder().encodeToString(("opencode:" + serverPassword).getBytes(StandardCharsets.UTF_8));
        try {
            for (var entry : authEntries.entrySet()) {
                if (!PROVIDER.matcher(entry.getKey()).matches()
                        || !ok(send(endpoint + "/auth/" + entry.getKey(), "PUT", entry.getValue(), basic))) {
                    return false;
                }
            }
            return ok(send(endpoint + "/instance/dispose", "POST", "", basic));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (Exception e) {
            return false;
        }
    }

    private int send(String url, String method, String body, String basic) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url))
                .timeout(timeout)
                .header("Authorization", basic)
                .header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body))
                .build();
        return Bounded.send(http, request, HttpResponse.BodyHandlers.discarding(), timeout)
                .statusCode();
    }

    private static boolean ok(int status) {
        return status >= 200 && status < 300;
    }
}
