package dev.collab.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.CredentialsMode;
import dev.collab.api.EgressSpec;
import dev.collab.api.SessionEgress;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 24 on real opencode in local mode: the agent's own shell (opencode's /session/{id}/shell, through the router
 * with the session token) reaches an allowed host through the gateway's egress proxy, by a plain proxied request and
 * by a CONNECT tunnel (curl -p), gets the 403 JSON naming the host for one that is not allowed, and the session's
 * status.egress counts it. The "internet" is two loopback HTTP servers on 127.0.0.2 (not in NO_PROXY, so curl uses
 * the session's proxy variables); loopback is never public, so the allowlist names the range 127.0.0.0/8 with the
 * allowed server's port. Local workers are not in a network namespace of their own (DESIGN.md section 8): that a
 * direct connection fails is proved on the real node (CollabOnNodeIT, NetworkPolicy), not here.
 */
@RealLocalMode
class EgressProofIT {
    private static final String NS = LocalModeRun.NS;
    private static HttpServer allowed;
    private static HttpServer refused;
    private static final AtomicInteger allowedHits = new AtomicInteger();
    private static final AtomicInteger refusedHits = new AtomicInteger();
    private static LocalModeRun app;

    @BeforeAll
    static void startLocalMode() throws Exception {
        allowed = server(allowedHits, "allowed hello");
        refused = server(refusedHits, "should never be reached");
        app = LocalModeRun.start(
                Path.of("target/egress-proof"),
                Map.of(
                        "COLLAB_GATEWAY_UPSTREAM",
                        "http://127.0.0.1:9/provider",
                        "COLLAB_GATEWAY_USAGE_FLUSH_INTERVAL",
                        "1s"));
    }

    @AfterAll
    static void stopLocalMode() throws Exception {
        try {
            if (app != null) {
                app.stop(List.of("carol"));
            }
        } finally {
            for (HttpServer s : new HttpServer[] {allowed, refused}) {
                if (s != null) {
                    s.stop(0);
                }
            }
        }
    }

    @Test
    void theAgentsShellReachesAllowedHostsThroughTheGatewayOnly() throws Exception {
        int port = allowed.getAddress().getPort();
        createSession("carol", List.of("127.0.0.0/8:" + port));
        String token = LocalModeRun.await("carol's access token", () -> app.accessToken("carol"));
        LocalModeRun.await("carol Ready", () -> app.readyPid("carol"));

        String proxied = shell("carol", token, "curl -sS --max-time 20 http://127.0.0.2:" + port + "/plain");
        assertTrue(proxied.contains("allowed hello"), "a plain request through the proxy: " + proxied);
        String tunnelled = shell("carol", token, "curl -sS --max-time 20 -p http://127.0.0.2:" + port + "/tunnel");
        assertTrue(tunnelled.contains("allowed hello"), "a CONNECT tunnel: " + tunnelled);
        int other = refused.getAddress().getPort();
        String denied = shell("carol", token, "curl -sS --max-time 20 http://127.0.0.2:" + other + "/x");
        assertTrue(
                denied.contains("egress_denied") && denied.contains("spec.egress.allow"),
                "a host not on the list: " + denied);
        assertEquals(2, allowedHits.get(), "the allowed server saw the plain request and the tunnelled one");
        assertEquals(0, refusedHits.get(), "nothing reached the server that is not on the list");

        SessionEgress egress = LocalModeRun.await("status.egress counts carol's connections", () -> {
            CollabSession cs = app.client()
                    .resources(CollabSession.class)
                    .inNamespace(NS)
                    .withName("carol")
                    .get();
            SessionEgress e = cs.getStatus() == null ? null : cs.getStatus().getEgress();
            return e != null && e.getConnections() >= 2 && e.getRefused() >= 1 ? e : null;
        });
        assertTrue(egress.getBytesDown() > 0 && egress.getBytesUp() > 0, "bytes counted: " + egress.getBytesDown());
        String env = shell("carol", token, "env | grep '^https_proxy=' | cut -c1-38");
        assertTrue(env.contains("https_proxy=http://collab:collab-gw-"), "the shell has the proxy variables: " + env);
        System.out.println("EGRESS PROOF: carol's shell reached 127.0.0.2:" + port + " through the gateway (plain and"
                + " CONNECT), was refused 127.0.0.2:" + other + "; status.egress connections "
                + egress.getConnections() + ", refused " + egress.getRefused() + ", bytes up " + egress.getBytesUp()
                + ", down " + egress.getBytesDown());
    }

    private static String shell(String session, String token, String command) throws Exception {
        String base = app.routerUrl() + "/s/" + session;
        HttpResponse<String> created = app.createOpencodeSession(session, token);
        String id =
                Serialization.jsonMapper().readTree(created.body()).get("id").asText();
        HttpResponse<String> r = LocalModeRun.HTTP.send(
                HttpRequest.newBuilder(URI.create(base + "/session/" + id + "/shell"))
                        .timeout(Duration.ofSeconds(60))
                        .header("Authorization", "Bearer " + token)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                Serialization.asJson(Map.of("agent", "build", "command", command))))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
    }

    private static void createSession(String name, List<String> allow) {
        String config = "{\"$schema\":\"https://opencode.ai/config.json\",\"autoupdate\":false,\"share\":\"disabled\"}";
        app.client()
                .secrets()
                .inNamespace(NS)
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName(name + "-credentials")
                        .withNamespace(NS)
                        .withLabels(CollabLabels.credentialSecretLabels(name + "@example.com"))
                        .endMetadata()
                        .addToData("opencode.json", LocalModeRun.b64(config))
                        .addToData(
                                "auth.json",
                                LocalModeRun.b64("{\"anthropic\":{\"type\":\"api\",\"key\":\"sk-egress-proof\"}}"))
                        .build())
                .create();
        CollabSessionSpec spec = new CollabSessionSpec(name + "@example.com", name + "-credentials");
        spec.getCredentials().setMode(CredentialsMode.Gateway);
        spec.setEgress(new EgressSpec(allow));
        spec.setEnv(dev.collab.testing.Specs.OFFLINE_OPENCODE);
        app.client()
                .resources(CollabSession.class)
                .inNamespace(NS)
                .resource(new CollabSession(NS, name, spec))
                .create();
    }

    private static HttpServer server(AtomicInteger hits, String answer) throws Exception {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0), 16);
        s.createContext("/", exchange -> {
            hits.incrementAndGet();
            byte[] body = answer.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        s.start();
        return s;
    }
}
