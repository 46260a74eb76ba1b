package dev.collab.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.CollabSessionStatus;
import dev.collab.api.SessionPhase;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded API of local mode: the mock-server workarounds and the persistence across a restart. */
class EmbeddedApiTest {
    @TempDir
    Path dataDir;

    @Test
    void oldEventsExpireLikeOnAnApiServer() {
        try (EmbeddedApi api = EmbeddedApi.start(dataDir, "default", 0); KubernetesClient client = api.newClient()) {
            String old = java.time.Instant.now().minus(EmbeddedApi.EVENT_TTL).minusSeconds(60).toString();
            client.v1().events().resource(new io.fabric8.kubernetes.api.model.EventBuilder().withNewMetadata().withName("old")
                    .endMetadata().withLastTimestamp(old).withReason("Started").build()).create();
            client.v1().events().resource(new io.fabric8.kubernetes.api.model.EventBuilder().withNewMetadata().withName("new")
                    .endMetadata().withLastTimestamp(java.time.Instant.now().toString()).withReason("Started").build()).create();
            assertEquals(1, api.expireEvents());
            assertEquals(List.of("new"), client.v1().events().list().getItems().stream().map(e -> e.getMetadata().getName()).toList());
        }
    }

    /** What README-local.md documents: the example YAML applied with a Fabric8 client built from the kubeconfig. */
    @Test
    void theExampleYamlCanBeCreatedWithTheKubeconfig() throws Exception {
        try (EmbeddedApi api = EmbeddedApi.start(dataDir, "default", 0)) {
            var config = io.fabric8.kubernetes.client.Config.fromKubeconfig(Files.readString(api.writeKubeconfig()));
            try (KubernetesClient client = new io.fabric8.kubernetes.client.KubernetesClientBuilder().withConfig(config).build();
                    var yaml = Files.newInputStream(Path.of("examples/collabsession.yaml"))) {
                client.load(yaml).create();
                assertNotNull(client.resources(CollabSession.class).inNamespace("collab").withName("example").get());
                Secret secret = client.secrets().inNamespace("collab").withName("example-credentials").get();
                assertTrue(secret.getData().containsKey("opencode.json"), "stringData folded into data");
            }
        }
    }

    @Test
    void stateSurvivesARestartAndTheWorkaroundsHold() throws Exception {
        String uid;
        try (EmbeddedApi api = EmbeddedApi.start(dataDir, "default", 0); KubernetesClient client = api.newClient()) {
            client.secrets().resource(new SecretBuilder().withNewMetadata().withName("alice-claude").endMetadata()
                    .addToStringData("auth.json", "{\"anthropic\":{\"type\":\"api\",\"key\":\"sk-alice\"}}").build()).create();
            Secret stored = client.secrets().withName("alice-claude").get();
            assertEquals("{\"anthropic\":{\"type\":\"api\",\"key\":\"sk-alice\"}}",
                    new String(Base64.getDecoder().decode(stored.getData().get("auth.json")), StandardCharsets.UTF_8),
                    "stringData is folded into data like a real API server does");
            assertTrue(stored.getStringData() == null || stored.getStringData().isEmpty());

            CollabSession session = new CollabSession("default", "alice", new CollabSessionSpec("alice@example.com", "alice-claude"));
            session.getMetadata().setAnnotations(Map.of("collab.dev/last-activity", "2026-11-23T10:00:00Z"));
            session = client.resources(CollabSession.class).resource(session).create();
            uid = session.getMetadata().getUid();

            // a status write with a query string must land on the status, not on the main object
            CollabSessionStatus status = new CollabSessionStatus();
            status.setPhase(SessionPhase.Running);
            status.setEndpoint("http://127.0.0.1:1/");
            session.setStatus(status);
            session.getMetadata().setResourceVersion(null);
            HttpResponse<String> put = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(api.url() + "/apis/collab.dev/v1alpha1/namespaces/default/collabsessions/alice/status?fieldManager=x"))
                    .header("Content-Type", "application/json")
                    .PUT(HttpRequest.BodyPublishers.ofString(Serialization.asJson(session))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, put.statusCode(), put.body());
            CollabSession afterStatus = client.resources(CollabSession.class).withName("alice").get();
            assertEquals(SessionPhase.Running, afterStatus.getStatus().getPhase());
            assertEquals(1L, afterStatus.getMetadata().getGeneration(), "a status write does not bump the generation");

            client.pods().resource(new PodBuilder().withNewMetadata().withName("alice").endMetadata()
                    .withNewSpec().addNewContainer().withName("c").withImage("x").endContainer().endSpec().build()).create();

            HttpResponse<String> version = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(api.url() + "/version")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, version.statusCode());
        }
        assertTrue(Files.isRegularFile(dataDir.resolve("api/state.json")));

        try (EmbeddedApi api = EmbeddedApi.start(dataDir, "default", 0); KubernetesClient client = api.newClient()) {
            CollabSession back = client.resources(CollabSession.class).withName("alice").get();
            assertNotNull(back, "the session comes back after a restart");
            assertEquals(uid, back.getMetadata().getUid(), "same uid: owner references of its children stay valid");
            assertEquals("2026-11-23T10:00:00Z", back.getMetadata().getAnnotations().get("collab.dev/last-activity"));
            assertEquals(SessionPhase.Running, back.getStatus().getPhase());
            assertNull(back.getStatus().getEndpoint(), "the endpoint named a port of the previous run");
            assertNotNull(client.secrets().withName("alice-claude").get());
            assertNull(client.pods().withName("alice").get(), "pods are not persisted: the operator recreates them");
            // writes after a restart get resource versions above the restored ones, and work
            back.getMetadata().getAnnotations().put("collab.dev/last-activity", "2026-11-23T11:00:00Z");
            client.resources(CollabSession.class).resource(back).update();
            assertEquals(1, client.resources(CollabSession.class).list().getItems().size());
        }
    }
}
