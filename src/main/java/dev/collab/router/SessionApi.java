package dev.collab.router;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.ConditionTypes;
import dev.collab.api.CredentialKey;
import dev.collab.api.OwnerReferences;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/** The collab app's endpoints under /collab/session/{session}. Request bodies are never logged. */
class SessionApi {
    private static final Logger LOG = Logger.getLogger(SessionApi.class);

    private final Vertx vertx;
    private final KubernetesClient client;
    private final SessionLookup sessions;
    private final RouterSettings settings;
    private final RouterMetrics metrics;
    private final ObjectMapper mapper = new ObjectMapper();

    SessionApi(
            Vertx vertx,
            KubernetesClient client,
            SessionLookup sessions,
            RouterSettings settings,
            RouterMetrics metrics) {
        this.vertx = vertx;
        this.client = client;
        this.sessions = sessions;
        this.settings = settings;
        this.metrics = metrics;
    }

    void mount(Router router) {
        router.route("/collab/session/:session").handler(ctx -> {
            begin(ctx);
            switch (ctx.request().method().name()) {
                case "GET" -> get(ctx);
                case "DELETE" -> delete(ctx);
                default -> notAllowed(ctx, "GET, DELETE");
            }
        });
        router.route("/collab/session/:session/credentials/:key").handler(ctx -> {
            begin(ctx);
            if (ctx.request().method() != HttpMethod.PUT) {
                notAllowed(ctx, "PUT");
                return;
            }
            upload(ctx, ctx.pathParam("key"));
        });
        router.route("/collab/session/:session/claude-creds").handler(ctx -> {
            begin(ctx);
            if (ctx.request().method() != HttpMethod.PUT) {
                notAllowed(ctx, "PUT");
                return;
            }
            upload(ctx, CredentialKey.CLAUDE_CREDENTIALS.secretKey());
        });
    }

    private void begin(RoutingContext ctx) {
        ctx.request().pause();
        HttpServerResponse resp = ctx.response();
        ctx.addEndHandler(v -> metrics.request(resp.getStatusCode()));
    }

    private static void notAllowed(RoutingContext ctx, String allow) {
        ctx.response().putHeader(HttpHeaders.ALLOW, allow);
        HttpErrors.send(ctx.response(), 405, "method not allowed", ctx.pathParam("session"));
    }

    /** Authenticates; answers the error and returns null when the request may not go on. */
    private CollabSession authorize(RoutingContext ctx, boolean sessionTokenAllowed) {
        String name = ctx.pathParam("session");
        HttpServerResponse resp = ctx.response();
        if (!sessions.synced(resp, name)) {
            return null;
        }
        String token = Tokens.bearer(ctx.request());
        if (token == null) {
            HttpErrors.send(resp, 401, "token required (Authorization: Bearer)", name);
            return null;
        }
        byte[] admin = sessions.directory().adminToken().orElse(null);
        boolean isAdmin = Tokens.matches(token, admin);
        if (!isAdmin && !sessionTokenAllowed && admin == null) {
            HttpErrors.send(
                    resp, 503, "admin token not configured (Secret " + settings.adminTokenSecret() + ")", name, 30);
            return null;
        }
        boolean mayKnow = isAdmin || sessionTokenAllowed;
        CollabSession cs =
                sessions.unique(resp, name, mayKnow ? 404 : 403, mayKnow ? "unknown session" : "wrong admin token");
        if (cs == null || isAdmin) {
            return cs;
        }
        if (sessionTokenAllowed) {
            SessionDirectory.Access access = sessions.directory().access(cs).orElse(null);
            if (access != null && Tokens.matches(token, access.token())) {
                return cs;
            }
            HttpErrors.send(resp, 403, "wrong token for this session", name);
            return null;
        }
        HttpErrors.send(resp, 403, "wrong admin token", name);
        return null;
    }

    private void get(RoutingContext ctx) {
        CollabSession cs = authorize(ctx, true);
        if (cs == null) {
            return;
        }
        var status = cs.getStatus();
        JsonObject body = new JsonObject()
                .put("session", cs.getMetadata().getName())
                .put("namespace", cs.getMetadata().getNamespace());
        body.put(
                "phase",
                status == null || status.getPhase() == null
                        ? null
                        : status.getPhase().name());
        body.put(
                "stoppedReason",
                status == null || status.getStoppedReason() == null
                        ? null
                        : status.getStoppedReason().name());
        body.put(
                "ready",
                status != null && status.isConditionTrue(ConditionTypes.READY) && status.getEndpoint() != null);
        body.put("suspended", cs.getSpec() != null && cs.getSpec().isSuspend());
        Map<String, String> annotations = cs.getMetadata().getAnnotations();
        body.put("lastActivity", annotations == null ? null : annotations.get(CollabLabels.LAST_ACTIVITY));
        JsonArray conditions = new JsonArray();
        if (status != null) {
            for (Condition c : status.getConditions()) {
                conditions.add(new JsonObject()
                        .put("type", c.getType())
                        .put("status", c.getStatus())
                        .put("reason", c.getReason())
                        .put("message", c.getMessage())
                        .put("lastTransitionTime", c.getLastTransitionTime())
                        .put("observedGeneration", c.getObservedGeneration()));
            }
            if (status.getMessage() != null) {
                body.put("message", status.getMessage());
            }
        }
        body.put("conditions", conditions);
        HttpErrors.json(ctx.response(), 200, body);
    }

    private void delete(RoutingContext ctx) {
        CollabSession cs = authorize(ctx, false);
        if (cs == null) {
            return;
        }
        String ns = cs.getMetadata().getNamespace();
        String name = cs.getMetadata().getName();
        vertx.executeBlocking(
                        () -> client.resources(CollabSession.class)
                                .inNamespace(ns)
                                .withName(name)
                                .delete(),
                        false)
                .onComplete(ar -> {
                    if (ar.failed()) {
                        LOG.warnf(
                                "could not delete CollabSession %s/%s: %s",
                                ns, name, ar.cause().getMessage());
                        HttpErrors.send(ctx.response(), 502, "Kubernetes API refused the delete", name);
                    } else if (ar.result().isEmpty()) {
                        HttpErrors.send(ctx.response(), 404, "unknown session", name);
                    } else {
                        LOG.infof("deleted CollabSession %s/%s on request", ns, name);
                        HttpErrors.json(
                                ctx.response(),
                                200,
                                new JsonObject().put("session", name).put("deleted", true));
                    }
                });
    }

    private void upload(RoutingContext ctx, String keyName) {
        CollabSession cs = authorize(ctx, false);
        if (cs == null) {
            return;
        }
        String name = cs.getMetadata().getName();
        HttpServerRequest req = ctx.request();
        HttpServerResponse resp = ctx.response();
        CredentialKey key = CredentialKey.fromSecretKey(keyName).orElse(null);
        if (key == null) {
            HttpErrors.send(
                    resp,
                    400,
                    "unknown credential key; one of "
                            + Arrays.stream(CredentialKey.values())
                                    .map(CredentialKey::secretKey)
                                    .collect(Collectors.joining(", ")),
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

    private void store(RoutingContext ctx, CollabSession cs, String secretName, CredentialKey key, Buffer body) {
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
        vertx.executeBlocking(() -> writeKey(cs, secretName, key.secretKey(), encoded), false)
                .onComplete(ar -> {
                    if (ar.failed() && ar.cause() instanceof OwnedByAnother) {
                        HttpErrors.send(
                                ctx.response(),
                                409,
                                "Secret " + secretName + " is opted in for another owner's sessions",
                                name);
                        return;
                    }
                    if (ar.failed()) {
                        String reason = ar.cause() instanceof KubernetesClientException k
                                ? "HTTP " + k.getCode()
                                : ar.cause().getClass().getSimpleName();
                        LOG.warnf(
                                "could not write key %s of Secret %s/%s: %s", key.secretKey(), ns, secretName, reason);
                        HttpErrors.send(ctx.response(), 502, "Kubernetes API refused the Secret write", name);
                        return;
                    }
                    LOG.infof(
                            "credential key %s of session %s/%s written to Secret %s (%d bytes)%s",
                            key.secretKey(), ns, name, secretName, bytes.length, ar.result() ? ", Secret created" : "");
                    HttpErrors.json(
                            ctx.response(),
                            200,
                            new JsonObject()
                                    .put("session", name)
                                    .put("secret", secretName)
                                    .put("key", key.secretKey())
                                    .put("created", ar.result()));
                });
    }

    /** The Secret is opted in for sessions of another owner: an upload must not take it over. */
    private static final class OwnedByAnother extends RuntimeException {
        OwnedByAnother() {
            super(null, null, false, false);
        }
    }

    /**
     * Writes one data key and the labels that opt the Secret in for this session's owner (docs/DESIGN.md section 3:
     * the operator uses no other Secret) with a merge patch touching only those; creates the Secret when missing.
     * True if created.
     */
    private boolean writeKey(CollabSession cs, String secretName, String key, String encoded) {
        String ns = cs.getMetadata().getNamespace();
        Map<String, String> optIn =
                CollabLabels.credentialSecretLabels(cs.getSpec().getOwner());
        JsonObject labels = new JsonObject();
        optIn.forEach(labels::put);
        String patch = new JsonObject()
                .put("metadata", new JsonObject().put("labels", labels))
                .put("data", new JsonObject().put(key, encoded))
                .encode();
        Secret existing = client.secrets().inNamespace(ns).withName(secretName).get();
        if (existing != null) {
            patchOwned(existing, optIn, patch);
            return false;
        }
        Secret secret = new SecretBuilder()
                .withNewMetadata()
                .withName(secretName)
                .withNamespace(ns)
                .addToLabels(optIn)
                .addToLabels(CollabLabels.SESSION, cs.getMetadata().getName())
                .addToOwnerReferences(OwnerReferences.plain(cs))
                .endMetadata()
                .withType("Opaque")
                .addToData(key, encoded)
                .build();
        try {
            client.secrets().inNamespace(ns).resource(secret).create();
            return true;
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
            patchOwned(client.secrets().inNamespace(ns).withName(secretName).get(), optIn, patch);
            return false;
        }
    }

    private void patchOwned(Secret existing, Map<String, String> optIn, String patch) {
        Map<String, String> labels = existing.getMetadata().getLabels();
        String owner = labels == null ? null : labels.get(CollabLabels.OWNER);
        if (owner != null && !owner.equals(optIn.get(CollabLabels.OWNER))) {
            throw new OwnedByAnother();
        }
        client.secrets().resource(existing).patch(PatchContext.of(PatchType.JSON_MERGE), patch);
    }
}
