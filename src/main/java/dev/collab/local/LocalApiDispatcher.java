package dev.collab.local;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.collab.api.CollabSession;
import io.fabric8.kubernetes.api.model.RootPathsBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.VersionInfo;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Front of the embedded API: the Fabric8 CRUD dispatcher plus the fixes a long-running local mode needs
 * (docs/STYLE.md, "Fabric8 Mock Server: what it does not do"):
 * <ul>
 * <li>the request log of {@link MockWebServer} is drained after every request (it keeps every request forever);</li>
 * <li>{@code .../status?fieldManager=x} is routed to the status subresource instead of the main object;</li>
 * <li>Secret {@code stringData} is folded into {@code data} like a real API server does;</li>
 * <li>{@code /} and {@code /version} answer (the CRUD dispatcher alone does not);</li>
 * <li>every successful write to a persisted kind tells the state store to save.</li>
 * </ul>
 */
final class LocalApiDispatcher extends Dispatcher {
    private static final Pattern STATUS_WITH_QUERY = Pattern.compile("^([^?]*/status)\\?.*$");
    private static final Pattern SECRET_PATH = Pattern.compile("^/api/v1/namespaces/[^/]+/secrets(/[^/?]+)?(\\?.*)?$");

    private final KubernetesCrudDispatcher crud;
    private final MockWebServer server;
    private final Runnable onPersistedWrite;
    private final String versionJson;
    private final String rootPathsJson;

    LocalApiDispatcher(KubernetesCrudDispatcher crud, MockWebServer server, Runnable onPersistedWrite) {
        this.crud = crud;
        this.server = server;
        this.onPersistedWrite = onPersistedWrite;
        this.versionJson = Serialization.asJson(new VersionInfo.Builder()
                .withMajor("1")
                .withMinor("33")
                .withGitVersion("v1.33.0-collab-local")
                .withPlatform("local")
                .build());
        this.rootPathsJson = Serialization.asJson(new RootPathsBuilder()
                .addToPaths("/api", "/api/v1", "/apis", "/apis/collab.dev", "/apis/collab.dev/v1alpha1", "/version")
                .build());
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        try {
            return handle(request);
        } finally {
            // MockWebServer queues every RecordedRequest (body included) for takeRequest(); nobody takes them here.
            server.reset();
        }
    }

    private MockResponse handle(RecordedRequest request) {
        String method = request.getMethod();
        String path = request.getPath();
        if ("GET".equals(method) && ("/".equals(path) || "/version".equals(path) || "/version/".equals(path))) {
            return new MockResponse().setResponseCode(200).setBody("/".equals(path) ? rootPathsJson : versionJson);
        }
        if ("POST".equals(method) && path.startsWith("/apis/authorization.k8s.io/v1/selfsubject")) {
            return selfSubjectReview(request, path);
        }
        RecordedRequest effective = request;
        var statusQuery = STATUS_WITH_QUERY.matcher(path);
        if (statusQuery.matches() && !"GET".equals(method)) {
            effective = copy(request, statusQuery.group(1), request.getBody());
        }
        if (("POST".equals(method) || "PUT".equals(method))
                && SECRET_PATH.matcher(path).matches()) {
            effective = foldStringData(effective);
        }
        MockResponse response = crud.dispatch(effective);
        if (!"GET".equals(method) && response.code() < 300 && isPersistedKind(path)) {
            onPersistedWrite.run();
        }
        return response;
    }

    /**
     * Everything is allowed: the API listens on loopback only and has no users. A real API server answers these
     * reviews; JOSDK's leader election asks one before it starts.
     */
    private static MockResponse selfSubjectReview(RecordedRequest request, String path) {
        ObjectNode review;
        try {
            review = (ObjectNode) Serialization.jsonMapper()
                    .readTree(new String(request.getBody().getBytes(), StandardCharsets.UTF_8));
        } catch (IOException | ClassCastException e) {
            return new MockResponse().setResponseCode(400);
        }
        ObjectNode status = review.putObject("status");
        if (path.contains("selfsubjectrulesreviews")) {
            ObjectNode rule = status.putArray("resourceRules").addObject();
            rule.putArray("verbs")
                    .add("*")
                    .add("get")
                    .add("list")
                    .add("watch")
                    .add("create")
                    .add("update")
                    .add("patch")
                    .add("delete");
            rule.putArray("apiGroups")
                    .add("*")
                    .add("")
                    .add("coordination.k8s.io")
                    .add(CollabSession.GROUP);
            rule.putArray("resources").add("*").add("leases");
            status.putArray("nonResourceRules").addObject().putArray("verbs").add("*");
            status.put("incomplete", false);
        } else {
            status.put("allowed", true);
        }
        if (!review.has("metadata")) {
            review.putObject("metadata");
        }
        return new MockResponse().setResponseCode(201).setBody(Serialization.asJson(review));
    }

    static boolean isPersistedKind(String path) {
        String p = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
        return ApiStateStore.PERSISTED_PLURALS.stream().anyMatch(plural -> p.contains("/" + plural));
    }

    private static RecordedRequest copy(RecordedRequest request, String path, Buffer body) {
        return new RecordedRequest(request.getHttpVersion(), request.method(), path, request.getHeaders(), body);
    }

    /** A real API server merges stringData into data (base64) on write; the mock keeps both apart. */
    private static RecordedRequest foldStringData(RecordedRequest request) {
        // getBytes() leaves the buffer readable for the CRUD dispatcher (readUtf8() would drain it)
        String body =
                request.getBody() == null ? null : new String(request.getBody().getBytes(), StandardCharsets.UTF_8);
        if (body == null || !body.contains("stringData")) {
            return request;
        }
        try {
            Secret secret = Serialization.unmarshal(body, Secret.class);
            if (secret == null
                    || secret.getStringData() == null
                    || secret.getStringData().isEmpty()) {
                return request;
            }
            Map<String, String> data = new LinkedHashMap<>(secret.getData() == null ? Map.of() : secret.getData());
            secret.getStringData()
                    .forEach((k, v) ->
                            data.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
            secret.setData(data);
            secret.setStringData(null);
            return copy(
                    request,
                    request.getPath(),
                    new Buffer(Serialization.asJson(secret).getBytes(StandardCharsets.UTF_8)));
        } catch (RuntimeException e) {
            return request; // let the CRUD dispatcher answer the malformed body
        }
    }
}
