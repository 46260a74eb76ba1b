package dev.collab.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.collab.api.AccountPoolState;
import dev.collab.api.AccountStatus;
import dev.collab.api.CredentialAccounts;
import dev.collab.api.CredentialAccounts.Account;
import dev.collab.api.SecretWrites;
import io.fabric8.kubernetes.api.model.Secret;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jboss.logging.Logger;

/**
 * Refreshes an OAuth account's access token exactly once across gateway replicas (blocking: worker threads only).
 * A replica first claims the refresh in the Secret's annotation {@code collab.dev/refresh-claims} with a patch guarded
 * by the resourceVersion (one replica wins; the others wait until the Secret carries a fresh token), calls the token
 * endpoint, and writes the rotated tokens back into the Secret with the claim removed, so the single-use refresh
 * token is never spent twice and nothing is lost on restart. invalid_grant on a token still in the Secret marks the
 * account ReloginRequired (annotation {@code collab.dev/accounts}) and records an Event on the sessions using it.
 */
final class OAuthRefresher {
    static final String CLAIMS = "collab.dev/refresh-claims";
    private static final Logger LOG = Logger.getLogger(OAuthRefresher.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int ATTEMPTS = 50;

    /** The account needs a new login: the provider refused its refresh token. */
    static final class ReloginRequired extends RuntimeException {
        ReloginRequired(String message) {
            super(message, null, false, false);
        }
    }

    private final SecretWrites secrets;
    private final GatewaySettings.OAuth settings;
    private final GatewayEvents events;
    private final GatewayMetrics metrics;
    private final Clock clock;
    private final String holder = "gateway-" + UUID.randomUUID();
    private final HttpClient http;

    OAuthRefresher(
            SecretWrites secrets,
            GatewaySettings.OAuth settings,
            GatewayEvents events,
            GatewayMetrics metrics,
            Clock clock) {
        this.secrets = secrets;
        this.settings = settings;
        this.events = events;
        this.metrics = metrics;
        this.clock = clock;
        this.http = HttpClient.newBuilder()
                .connectTimeout(settings.connectTimeout())
                .build();
    }

    /** Whether a request with this account must wait for a refresh first. */
    boolean due(Account a) {
        return a.type() == CredentialAccounts.Type.OAuth
                && (a.access() == null
                        || (a.expiresAt() > 0
                                && Instant.ofEpochMilli(a.expiresAt())
                                        .isBefore(clock.instant().plus(settings.refreshAhead()))));
    }

    /** The access token has not expired yet (a request may still use it while the refresh runs). */
    boolean stillValid(Account a) {
        return a.access() != null && a.expiresAt() > clock.millis() + 10_000;
    }

    /** The account with a fresh access token, refreshed here or by another replica. */
    Account refresh(AccountPool pool, String name) {
        // long enough for another replica's claim to be written back or to expire
        long deadline =
                System.nanoTime() + settings.claimDuration().plusSeconds(5).toNanos();
        while (System.nanoTime() < deadline) {
            Secret read = secrets.get(pool.namespace(), pool.secretName());
            Account a = read == null
                    ? null
                    : CredentialAccounts.of(read.getData()).named(name).orElse(null);
            if (a == null || a.refresh() == null) {
                throw new IllegalStateException("account " + name + " has no refresh token in the Secret");
            }
            if (!due(a)) {
                return a; // another replica (or an upload) was first
            }
            String refused = refusedBefore(read, name);
            if (refused != null) {
                pool.reloginRequired(a, refused); // another replica found it: do not spend a request on it again
                throw new ReloginRequired(refused);
            }
            JsonObject claims = claims(read);
            JsonObject claim = claims.getJsonObject(name);
            Instant now = clock.instant();
            if (claim != null
                    && !holder.equals(claim.getString("holder"))
                    && Instant.parse(claim.getString("until")).isAfter(now)) {
                sleep(); // another replica is refreshing: wait for its write-back
                continue;
            }
            claims.put(
                    name,
                    new JsonObject()
                            .put("holder", holder)
                            .put("until", now.plus(settings.claimDuration()).toString()));
            Secret claimed = secrets.update(read, SecretWrites.annotate(CLAIMS, claims.encode()));
            if (claimed == null) {
                continue; // lost the race for the claim: read again
            }
            return exchange(pool, a, claimed);
        }
        throw new IllegalStateException("refresh of account " + name + " did not settle");
    }

    private Account exchange(AccountPool pool, Account a, Secret claimed) {
        HttpResponse<String> answer;
        CompletableFuture<HttpResponse<String>> call = null;
        try {
            // bounded as a whole (connect, answer and body) by what the claim was sized for
            call = http.sendAsync(
                    HttpRequest.newBuilder(URI.create(settings.tokenUrl()))
                            .timeout(settings.readTimeout())
                            .header("content-type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(new JsonObject()
                                    .put("grant_type", "refresh_token")
                                    .put("refresh_token", a.refresh())
                                    .put("client_id", settings.clientId())
                                    .encode()))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            answer = call.get(settings.callLimit().toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException | InterruptedException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            if (call != null) {
                call.cancel(true);
            }
            release(claimed, a.name(), null);
            metrics.refresh("failed");
            throw new IllegalStateException("token endpoint unreachable: "
                    + (e.getCause() == null ? e : e.getCause()).getClass().getSimpleName());
        }
        JsonNode body = parse(answer.body());
        if (answer.statusCode() == 200 && body.path("access_token").isTextual()) {
            long expires = clock.millis() + body.path("expires_in").asLong(3600) * 1000;
            String access = body.path("access_token").asText();
            String refresh = body.path("refresh_token").isTextual()
                    ? body.path("refresh_token").asText()
                    : null;
            writeBack(claimed, a.name(), access, refresh, expires);
            metrics.refresh("refreshed");
            LOG.infof("refreshed OAuth account %s of Secret %s/%s", a.name(), pool.namespace(), pool.secretName());
            return new Account(
                    a.name(),
                    a.type(),
                    null,
                    access,
                    refresh == null ? a.refresh() : refresh,
                    expires,
                    a.sourceKey(),
                    a.index(),
                    a.disabled());
        }
        boolean revoked = (answer.statusCode() == 400 || answer.statusCode() == 401)
                && (answer.statusCode() == 401
                        || "invalid_grant".equals(body.path("error").asText()));
        if (!revoked) {
            release(claimed, a.name(), null);
            metrics.refresh("failed");
            throw new IllegalStateException("token endpoint answered HTTP " + answer.statusCode());
        }
        String message = "the provider refused the refresh token of account " + a.name() + " ("
                + body.path("error").asText("HTTP " + answer.statusCode())
                + "): log in again with POST /collab/accounts/"
                + events.ownerName(pool) + "/login {\"account\": \"" + a.name()
                + "\"} (the accounts page), or upload new"
                + " credentials";
        pool.reloginRequired(a, message);
        release(claimed, a.name(), pool);
        metrics.refresh("revoked");
        events.reloginRequired(pool, a.name(), message);
        throw new ReloginRequired(message);
    }

    /**
     * Rotated tokens into the Secret and the claim out, in one guarded write, first thing after the provider's
     * answer: until it lands the only copy of the new single-use refresh token is in this process. 409: read again
     * and write again; any other failure (API server slow or gone): read again after a pause, for as long as the
     * claim leaves time for the write-back, so that a short API outage does not lose the rotated tokens.
     */
    private void writeBack(Secret claimed, String name, String access, String refresh, long expires) {
        String namespace = claimed.getMetadata().getNamespace();
        String secret = claimed.getMetadata().getName();
        long deadline = System.nanoTime() + GatewaySettings.OAuth.WRITE_BACK_ALLOWANCE.toNanos();
        Secret read = claimed;
        for (int i = 0; i < ATTEMPTS && System.nanoTime() < deadline; i++) {
            try {
                if (read == null) {
                    read = secrets.get(namespace, secret);
                    if (read == null) {
                        break; // the Secret was deleted meanwhile
                    }
                }
                TokenWriteBack.Edit edit = TokenWriteBack.edit(read.getData(), name, access, refresh, expires);
                JsonObject claims = claims(read);
                claims.remove(name);
                if (secrets.update(read, b -> {
                            SecretWrites.annotate(CLAIMS, claims.encode()).apply(b);
                            return edit == null ? b : b.addToData(edit.key(), edit.base64());
                        })
                        != null) {
                    return;
                }
            } catch (RuntimeException e) {
                LOG.debugf(
                        "write-back of account %s not done yet: %s",
                        name, e.getClass().getSimpleName());
                sleep();
            }
            read = null; // 409 or a failure: read again
        }
        LOG.warnf("could not write the refreshed tokens of account %s back to Secret %s/%s", name, namespace, secret);
    }

    /** Drops the claim; with a pool, also records the pool's states (ReloginRequired) in the same write. */
    private void release(Secret claimed, String name, AccountPool pool) {
        Secret read = claimed;
        for (int i = 0; i < 5 && read != null; i++) {
            JsonObject claims = claims(read);
            claims.remove(name);
            String states = pool == null
                    ? null
                    : AccountPoolState.write(pool.merged(AccountPoolState.read(read), clock.instant(), false));
            Secret written = secrets.update(read, b -> {
                SecretWrites.annotate(CLAIMS, claims.encode()).apply(b);
                return states == null
                        ? b
                        : SecretWrites.annotate(AccountPoolState.ANNOTATION, states)
                                .apply(b);
            });
            if (written != null) {
                return;
            }
            read = secrets.get(
                    claimed.getMetadata().getNamespace(), claimed.getMetadata().getName());
        }
    }

    /** The message when the Secret records this account's current credential as refused, else null. */
    private String refusedBefore(Secret read, String name) {
        return AccountPoolState.effective(read, clock.instant()).stream()
                .filter(s -> s.getName().equals(name) && AccountStatus.RELOGIN_REQUIRED.equals(s.getState()))
                .map(s -> s.getMessage() == null ? "account " + name + " needs a new login" : s.getMessage())
                .findFirst()
                .orElse(null);
    }

    private static JsonObject claims(Secret s) {
        String raw = s.getMetadata().getAnnotations() == null
                ? null
                : s.getMetadata().getAnnotations().get(CLAIMS);
        try {
            return raw == null ? new JsonObject() : new JsonObject(raw);
        } catch (RuntimeException e) {
            return new JsonObject();
        }
    }

    private static JsonNode parse(String body) {
        try {
            return JSON.readTree(body == null ? "" : body);
        } catch (IOException e) {
            return JSON.missingNode();
        }
    }

    private void sleep() {
        try {
            Thread.sleep(settings.claimPoll().toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }
}
