package dev.collab.router;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CredentialAccounts;
import dev.collab.api.CredentialKey;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * {@code PUT /collab/session/{session}/credentials/{key}}: checks the key, content type, size and JSON of the body,
 * then writes that one key into the session's credential Secret and opts the Secret in for the session's owner
 * (docs/DESIGN.md sections 2 and 5). Request bodies are never logged or echoed.
 */
final class CredentialUpload {
    private static final Logger LOG = Logger.getLogger(CredentialUpload.class);

    private final Vertx vertx;
    private final KubernetesClient client;
    private final RouterSettings settings;
    private final ObjectMapper mapper = new ObjectMapper();

    CredentialUpload(Vertx vertx, KubernetesClient client, RouterSettings settings) {
        this.vertx = vertx;
        this.client = client;
        this.settings = settings;
    }

    /** Handles the request of an authorized admin for one key of `cs`'s credential Secret. */
    void upload(RoutingContext ctx, CollabSession cs, String keyName) {
        String name = cs.getMetadata().getName();
        HttpServerRequest req = ctx.request();
        HttpServerResponse resp = ctx.response();
        String key = CredentialKey.fromSecretKey(keyName)
                .map(CredentialKey::secretKey)
                .orElse(CredentialAccounts.KEY.equals(keyName) ? CredentialAccounts.KEY : null);
        if (key == null) {
            HttpErrors.send(
                    resp,
                    400,
                    "unknown credential key; one of "
                            + Arrays.stream(CredentialKey.values())
                                    .map(CredentialKey::secretKey)
                                    .collect(Collectors.joining(", "))
                            + ", " + CredentialAccounts.KEY,
                    name);
            return;
        }
        String type = req.getHeader(HttpHeaders.CONTENT_TYPE);
        if (type != null) {
            String t = type.toLowerCase(Locale.ROOT).split(";")[0].trim();
            if (!t.equals("application/json") && !t.endsWith("+json")) {
                HttpErrors.send(resp, 415, "body must be application/json", name);
                return;
            }
        }
        String secretName = cs.getSpec() == null || cs.getSpec().getCredentials() == null
                ? null
                : cs.getSpec().getCredentials().getSecretName();
        if (secretName == null || secretName.isBlank()) {
            HttpErrors.send(resp, 409, "session has no spec.credentials.secretName", name);
            return;
        }
        long limit = settings.maxCredentialBody();
        if (RequestBodyCap.contentLength(req) > limit) {
            resp.putHeader(HttpHeaders.CONNECTION, "close");
            HttpErrors.send(resp, 413, "credential body larger than " + limit + " bytes", name);
            return;
        }
        Buffer body = Buffer.buffer();
        boolean[] tooLarge = {false};
        req.handler(buf -> {
            if (tooLarge[0]) {
                return;
            }
            if (body.length() + buf.length() > limit) {
                tooLarge[0] = true;
                resp.putHeader(HttpHeaders.CONNECTION, "close");
                HttpErrors.send(resp, 413, "credential body larger than " + limit + " bytes", name);
                vertx.setTimer(200, id -> req.connection().close());
                return;
            }
            body.appendBuffer(buf);
        });
        req.endHandler(v -> {
            if (!tooLarge[0]) {
                store(ctx, cs, secretName, key, body);
            }
        });
        req.resume();
    }

    private void store(RoutingContext ctx, CollabSession cs, String secretName, String key, Buffer body) {
        String name = cs.getMetadata().getName();
        String ns = cs.getMetadata().getNamespace();
        byte[] bytes = body.getBytes();
        try {
            JsonNode node = mapper.readTree(bytes);
            if (node == null || !node.isObject()) {
                HttpErrors.send(ctx.response(), 400, "body must be a JSON object", name);
                return;
            }
        } catch (Exception e) {
            // The parser's message may quote the body: not echoed, not logged.
            HttpErrors.send(ctx.response(), 400, "body is not valid JSON", name);
            return;
        }
        String encoded = Base64.getEncoder().encodeToString(bytes);
        vertx.executeBlocking(() -> writeKey(cs, secretName, key, encoded), false)
                .onComplete(ar -> {
                    if (ar.failed() && ar.cause() instanceof NotOptedIn refused) {
                        HttpErrors.send(ctx.response(), 409, refused.getMessage(), name);
                        return;
                    }
                    if (ar.failed()) {
                        String reason = ar.cause() instanceof KubernetesClientException k
                                ? "HTTP " + k.getCode()
                                : ar.cause().getClass().getSimpleName();
                        LOG.warnf("could not write key %s of Secret %s/%s: %s", key, ns, secretName, reason);
                        HttpErrors.send(ctx.response(), 502, "Kubernetes API refused the Secret write", name);
                        return;
                    }
                    LOG.infof(
                            "credential key %s of session %s/%s written to Secret %s (%d bytes)%s",
                            key, ns, name, secretName, bytes.length, ar.result() ? ", Secret created" : "");
                    HttpErrors.json(
                            ctx.response(),
                            200,
                            new JsonObject()
                                    .put("session", name)
                                    .put("secret", secretName)
                                    .put("key", key)
                                    .put("created", ar.result()));
                });
    }

    /** The Secret exists and is not opted in for this owner: the upload must not take it over (message: why). */
    private static final class NotOptedIn extends RuntimeException {
        NotOptedIn(String message) {
            super(message, null, false, false);
        }
    }

    /** Attempts of a write whose read went stale (another writer, e.g. the gateway, updated the Secret). */
    private static final int WRITE_ATTEMPTS = 5;

    /**
     * Writes one data key and the labels that opt the Secret in for this session's owner (docs/DESIGN.md section 3:
     * the operator uses no other Secret); creates the Secret when missing. An existing Secret is written only when
     * {@link UploadTarget} allows it, by an update carrying the resourceVersion that was checked, so a relabel in
     * between is never overwritten. True if created.
     */
    private boolean writeKey(CollabSession cs, String secretName, String key, String encoded) {
        String ns = cs.getMetadata().getNamespace();
        String owner = cs.getSpec().getOwner();
        for (int attempt = 1; ; attempt++) {
            Secret existing =
                    client.secrets().inNamespace(ns).withName(secretName).get();
            try {
                if (existing == null) {
                    // No owner reference: the Secret is the owner's, shared by its sessions (UploadTarget).
                    Secret secret = new SecretBuilder()
                            .withNewMetadata()
                            .withName(secretName)
                            .withNamespace(ns)
                            .addToLabels(CollabLabels.credentialSecretLabels(owner))
                            .endMetadata()
                            .withType("Opaque")
                            .addToData(key, encoded)
                            .build();
                    client.secrets().inNamespace(ns).resource(secret).create();
                    return true;
                }
                String refusal = UploadTarget.refusal(existing, owner).orElse(null);
                if (refusal != null) {
                    throw new NotOptedIn(refusal);
                }
                client.secrets()
                        .inNamespace(ns)
                        .resource(UploadTarget.written(existing, owner, key, encoded))
                        .update();
                return false;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt >= WRITE_ATTEMPTS) {
                    throw e;
                }
            }
        }
    }
}
