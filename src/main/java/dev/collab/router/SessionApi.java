package dev.collab.router;

import dev.collab.api.AccountStatus;
import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.ConditionTypes;
import dev.collab.api.CredentialKey;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/** The collab app's endpoints under /collab/session/{session}. Request bodies are never logged. */
class SessionApi {
    private static final Logger LOG = Logger.getLogger(SessionApi.class);

    private final Vertx vertx;
    private final KubernetesClient client;
    private final SessionLookup sessions;
    private final RouterSettings settings;
    private final RouterMetrics metrics;
    private final CredentialUpload uploads;

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
        this.uploads = new CredentialUpload(vertx, client, settings);
    }

    /** Names the method-not-allowed route of each path (it matches every method the path does not serve). */
    static final String NOT_ALLOWED = ApiRoutes.NOT_ALLOWED;

    /** The OpenAPI document (docs/openapi.yaml, packaged beside this class by the build). */
    static final String OPENAPI_RESOURCE = "openapi.yaml";

    void mount(Router router) {
        ApiRoutes routes = new ApiRoutes(metrics);
        Buffer openapi = openApiDocument();
        // no token: the document says nothing a client cannot learn by calling
        routes.endpoint(
                router,
                "/collab/openapi.yaml",
                Map.of(
                        HttpMethod.GET,
                        ctx -> ctx.response()
                                .putHeader(HttpHeaders.CONTENT_TYPE, "application/yaml; charset=utf-8")
                                .end(openapi)));
        routes.endpoint(
                router, "/collab/session/:session", Map.of(HttpMethod.GET, this::get, HttpMethod.DELETE, this::delete));
        routes.endpoint(
                router,
                "/collab/session/:session/credentials/:key",
                Map.of(HttpMethod.PUT, ctx -> upload(ctx, ctx.pathParam("key"))));
        routes.endpoint(
                router,
                "/collab/session/:session/claude-creds",
                Map.of(HttpMethod.PUT, ctx -> upload(ctx, CredentialKey.CLAUDE_CREDENTIALS.secretKey())));
    }

    private static Buffer openApiDocument() {
        try (InputStream in = SessionApi.class.getResourceAsStream(OPENAPI_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + OPENAPI_RESOURCE + " (docs/openapi.yaml)");
            }
            return Buffer.buffer(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
            if (status.getAccounts() != null) {
                // Gateway mode: the pool's accounts as status shows them (names and states, never a credential)
                body.put(
                        "accounts",
                        new JsonArray(Serialization.jsonMapper().convertValue(status.getAccounts(), List.class)));
                body.put(
                        "reloginRequired",
                        status.getAccounts().stream()
                                .filter(a -> AccountStatus.RELOGIN_REQUIRED.equals(a.getState()))
                                .map(AccountStatus::getName)
                                .toList());
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
        if (cs != null) {
            uploads.upload(ctx, cs, keyName);
        }
    }
}
