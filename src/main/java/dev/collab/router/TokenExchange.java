package dev.collab.router;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;

/**
 * The code -> token step of a login (RFC 6749 section 4.1.3 with the PKCE verifier, as JSON: the body Claude's token
 * endpoint takes, the one opencode's Claude login sends). Blocking: worker threads only. Neither the code nor a token
 * is ever logged or put into an exception message.
 */
final class TokenExchange {
    /** What the provider issued. expiresAt in epoch ms. */
    record Issued(String access, String refresh, long expiresAt) {
        @Override
        public String toString() {
            return "Issued[expiresAt=" + expiresAt + "]";
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CONNECT = Duration.ofSeconds(10);
    private static final Duration CALL = Duration.ofSeconds(30);

    private final RouterSettings.AccountLogin login;
    private final Clock clock;
    private final HttpClient http;

    TokenExchange(RouterSettings.AccountLogin login, Clock clock) {
        this.login = login;
        this.clock = clock;
        this.http = HttpClient.newBuilder().connectTimeout(CONNECT).build();
    }

    /** The tokens for {@code code}; AccountEdits.Refused 400 when the provider refuses it, 502 when it fails. */
    Issued exchange(String code, String state, String verifier) {
        String body = JSON.createObjectNode()
                .put("grant_type", "authorization_code")
                .put("code", code)
                .put("state", state)
                .put("client_id", login.clientId())
                .put("redirect_uri", login.redirectUri())
                .put("code_verifier", verifier)
                .toString();
        HttpResponse<String> answer;
        try {
            answer = http.send(
                    HttpRequest.newBuilder(URI.create(login.tokenUrl()))
                            .timeout(CALL)
                            .header("Content-Type", "application/json")
                            .header("Accept", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AccountEdits.Refused(502, "the provider's token endpoint could not be reached");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AccountEdits.Refused(502, "interrupted while calling the provider's token endpoint");
        }
        JsonNode json = parse(answer.body());
        int status = answer.statusCode();
        if (status == 400 || status == 401) {
            // the provider's error code only (e.g. invalid_grant): its description may echo what was sent
            throw new AccountEdits.Refused(
                    400, "the provider refused the code (" + json.path("error").asText("HTTP " + status) + ")");
        }
        String access = json.path("access_token").asText(null);
        if (status != 200 || access == null) {
            throw new AccountEdits.Refused(502, "the provider's token endpoint answered HTTP " + status);
        }
        long expiresIn = json.path("expires_in").asLong(3600);
        return new Issued(access, json.path("refresh_token").asText(null), clock.millis() + expiresIn * 1000);
    }

    private static JsonNode parse(String body) {
        try {
            JsonNode n = body == null || body.isBlank() ? null : JSON.readTree(body);
            return n == null ? JSON.createObjectNode() : n;
        } catch (IOException e) {
            return JSON.createObjectNode();
        }
    }
}
