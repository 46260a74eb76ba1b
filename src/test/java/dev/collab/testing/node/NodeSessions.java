package dev.collab.testing.node;

import com.fasterxml.jackson.databind.JsonNode;
import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.CredentialsMode;
import dev.collab.api.SessionPhase;
import dev.collab.testing.Kubectl;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Sessions on the test node as the collab app makes and uses them: a credential Secret and a CollabSession through
 * the Kubernetes API, then opencode's HTTP API through the router's Service (its ClusterIP, reached from the host
 * through kube-proxy's rules, as any client in the cluster would).
 */
public final class NodeSessions {
    public static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final NodeCluster cluster;
    private final String providerBase;

    /** @param providerBase the fake provider's base URL as pods reach it, e.g. {@code http://192.0.2.2:443} */
    public NodeSessions(NodeCluster cluster, String providerBase) {
        this.cluster = cluster;
        this.providerBase = providerBase;
    }

    private KubernetesClient admin() {
        return cluster.admin();
    }

    /**
     * The owner's credential Secret (an Anthropic api key) and the session. Seeded sessions are told the provider's
     * address in their opencode.json; Gateway-mode sessions get the gateway's instead (the gateway's upstream is the
     * same fake provider).
     */
    public void create(String name, String owner, String apiKey, CredentialsMode mode, String idleTimeout) {
        create(name, owner, apiKey, mode, idleTimeout, spec -> {});
    }

    /** The same, with {@code customize} applied to the spec before the session is created. */
    public void create(
            String name,
            String owner,
            String apiKey,
            CredentialsMode mode,
            String idleTimeout,
            java.util.function.Consumer<CollabSessionSpec> customize) {
        String config = "{\"$schema\":\"https://opencode.ai/config.json\",\"autoupdate\":false,\"share\":\"disabled\","
                + "\"provider\":{\"anthropic\":{\"options\":{\"baseURL\":\"" + providerBase + "/v1\"}}}}";
        Secret secret = new SecretBuilder()
                .withMetadata(new ObjectMetaBuilder()
                        .withName(name + "-credentials")
                        .withNamespace(CollabRelease.SESSIONS)
                        .withLabels(CollabLabels.credentialSecretLabels(owner))
                        .build())
                .withStringData(Map.of(
                        "opencode.json",
                        config,
                        "auth.json",
                        "{\"anthropic\":{\"type\":\"api\",\"key\":\"" + apiKey + "\"}}"))
                .build();
        admin().secrets().inNamespace(CollabRelease.SESSIONS).resource(secret).create();
        CollabSessionSpec spec = new CollabSessionSpec(owner, name + "-credentials");
        spec.getCredentials().setMode(mode);
        if (idleTimeout != null) {
            spec.setIdleTimeout(idleTimeout);
        }
        customize.accept(spec);
        CollabSession session = new CollabSession();
        session.setMetadata(new ObjectMetaBuilder()
                .withName(name)
                .withNamespace(CollabRelease.SESSIONS)
                .build());
        session.setSpec(spec);
        admin().resource(session).create();
    }

    public CollabSession get(String name) {
        return admin().resources(CollabSession.class)
                .inNamespace(CollabRelease.SESSIONS)
                .withName(name)
                .get();
    }

    public static boolean running(CollabSession s) {
        return s != null
                && s.getStatus() != null
                && s.getStatus().getPhase() == SessionPhase.Running
                && s.getStatus().getEndpoint() != null;
    }

    public CollabSession await(String name, Predicate<CollabSession> condition, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        CollabSession last = null;
        while (Instant.now().isBefore(deadline)) {
            last = get(name);
            if (condition.test(last)) {
                return last;
            }
            RealNode.sleep(500);
        }
        throw new AssertionError(name + ": condition not met within " + timeout + "; last status "
                + (last == null ? "none" : Serialization.asJson(last.getStatus())));
    }

    public String token(String name) {
        Secret access = admin().secrets()
                .inNamespace(CollabRelease.SESSIONS)
                .withName(CollabLabels.accessSecretName(name))
                .get();
        return new String(
                Base64.getDecoder().decode(access.getData().get(CollabLabels.ACCESS_TOKEN_KEY)),
                StandardCharsets.UTF_8);
    }

    /** The router's Service address: http://<ClusterIP>:8080. */
    public String routerUrl() {
        Service router = admin().services()
                .inNamespace(CollabRelease.SYSTEM)
                .withName("collab-router")
                .get();
        return "http://" + router.getSpec().getClusterIP() + ":8080";
    }

    public HttpResponse<String> send(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(routerUrl() + path))
                .timeout(Duration.ofSeconds(180))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Creates an opencode session through the router and sends one prompt naming {@code name}; returns the reply. */
    public String prompt(String name) throws Exception {
        String token = token(name);
        HttpResponse<String> created = send("POST", "/s/" + name + "/session", token, "{\"title\":\"node tier\"}");
        if (created.statusCode() != 200) {
            throw new AssertionError(
                    "create opencode session in " + name + ": " + created.statusCode() + " " + created.body());
        }
        JsonNode id = Serialization.jsonMapper().readTree(created.body()).get("id");
        HttpResponse<String> reply = send(
                "POST",
                "/s/" + name + "/session/" + id.asText() + "/message",
                token,
                "{\"model\":{\"providerID\":\"anthropic\",\"modelID\":\"claude-sonnet-4-5\"},"
                        + "\"parts\":[{\"type\":\"text\",\"text\":\"Say hello to " + name + "\"}]}");
        if (reply.statusCode() != 200) {
            throw new AssertionError("prompt in " + name + ": " + reply.statusCode() + " " + reply.body());
        }
        return reply.body();
    }

    /** {@code kubectl exec <pod> -- bash -c <script>} in the sessions' namespace. */
    public Kubectl.Result exec(String pod, String script) {
        return cluster.kubectl().run("exec", "-n", CollabRelease.SESSIONS, pod, "--", "bash", "-c", script);
    }
}
