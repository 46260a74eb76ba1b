package dev.collab.operator;

import static dev.collab.operator.OperatorHarness.NS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.collab.api.AccessSecrets;
import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.StorageSpec;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 30 item 1: objects planted under a session's child names before the session exists (by a tenant who may
 * create Secrets and claims in the namespace) are never used or adopted; the session says so in its Ready condition
 * (ForeignChildObject, naming the object) and one Event. Faked here: the Fabric8 mock API server (CRUD mode) stands
 * in for the API server and {@link FakeKubelet} for the node; the garbage collector is {@link
 * OperatorHarness#collectGarbage}.
 */
class ForeignChildrenTest {
    private OperatorHarness h;

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    /** Before: the planted Secret was the session's access Secret, so its planter knew token and server password. */
    @Test
    void aPlantedAccessSecretIsNeverTheSessionsToken() {
        h = new OperatorHarness(OperatorSettings.defaults());
        h.credentials("victim-creds", "alice", Map.of("auth.json", "{}"));
        // Labelled exactly as the operator labels an access Secret, so it is in the operator's cache.
        h.client
                .secrets()
                .inNamespace(NS)
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName("victim-access")
                        .withLabels(CollabLabels.childLabels("victim", "alice", CollabLabels.ROLE_ACCESS))
                        .endMetadata()
                        .withData(AccessSecrets.sessionData("planted-token", "planted-password"))
                        .build())
                .create();

        h.create("victim", "alice", "victim-creds");

        h.assertFailed("victim", "ForeignChildObject", "Secret victim-access");
        h.nudge("victim");
        h.nudge("victim");
        assertThat(h.client.pods().inNamespace(NS).withName("victim").get())
                .as("no pod runs with the planted server password")
                .isNull();
        Secret after =
                h.client.secrets().inNamespace(NS).withName("victim-access").get();
        assertThat(AccessSecrets.token(after)).isEqualTo("planted-token");
        assertThat(after.getMetadata().getOwnerReferences()).as("not adopted").isNullOrEmpty();
        await().atMost(OperatorHarness.WAIT)
                .untilAsserted(() -> assertThat(foreignEvents("victim")).hasSize(1));
        assertThat(foreignEvents("victim").get(0).getMessage()).contains("victim-access", "delete");
        assertThat(foreignEvents("victim"))
                .as("one Event, not one per reconcile")
                .hasSize(1);
    }

    /** Before: the 409 of the create counted as "already exists" and the pod mounted the planted claim as HOME. */
    @Test
    void aPlantedHomeClaimIsNeverMounted() {
        h = new OperatorHarness(OperatorSettings.defaults());
        h.credentials("home-creds", "alice", Map.of("auth.json", "{}"));
        // No labels: no cache of the operator holds it, only its create finds it.
        h.client
                .persistentVolumeClaims()
                .inNamespace(NS)
                .resource(claim("home-home"))
                .create();

        CollabSession cs = h.create("home", "alice", "home-creds");

        h.assertFailed("home", "ForeignChildObject", "PersistentVolumeClaim home-home");
        assertThat(h.session("home").getStatus().condition("Ready").getMessage())
                .contains("annotate pvc home-home collab.dev/session-uid="
                        + cs.getMetadata().getUid());
        h.nudge("home");
        assertThat(h.client.pods().inNamespace(NS).withName("home").get())
                .as("no pod mounts the planted claim")
                .isNull();
    }

    /**
     * storage.retainOnDelete leaves the claim without owner reference. It carries the session's uid instead: a new
     * session of the same name (new uid) does not pick up the old HOME by name until someone annotates it for
     * the new uid, which is then the documented way to hand a retained HOME on.
     */
    @Test
    void aRetainedClaimServesOnlyTheSessionItWasMarkedFor() {
        h = new OperatorHarness(OperatorSettings.defaults());
        h.credentials("keep-creds", "alice", Map.of("auth.json", "{}"));
        CollabSessionSpec spec = new CollabSessionSpec("alice", "keep-creds");
        spec.setStorage(new StorageSpec());
        spec.getStorage().setRetainOnDelete(true);
        CollabSession first = h.create("keep", spec);
        await().atMost(OperatorHarness.WAIT)
                .until(() -> h.client.pods().inNamespace(NS).withName("keep").get() != null);
        PersistentVolumeClaim retained = h.client
                .persistentVolumeClaims()
                .inNamespace(NS)
                .withName("keep-home")
                .get();
        assertThat(retained.getMetadata().getOwnerReferences()).isNullOrEmpty();
        assertThat(retained.getMetadata().getAnnotations())
                .containsEntry(CollabLabels.SESSION_UID, first.getMetadata().getUid());

        h.client.resource(first).delete();
        h.collectGarbage(first.getMetadata().getUid());
        await().atMost(OperatorHarness.WAIT)
                .until(() -> h.client.pods().inNamespace(NS).withName("keep").get() == null);

        CollabSession second = h.create("keep", spec);
        h.assertFailed("keep", "ForeignChildObject", "PersistentVolumeClaim keep-home");
        assertThat(h.client.pods().inNamespace(NS).withName("keep").get()).isNull();

        h.client.persistentVolumeClaims().inNamespace(NS).withName("keep-home").edit(c -> {
            c.getMetadata()
                    .getAnnotations()
                    .put(CollabLabels.SESSION_UID, second.getMetadata().getUid());
            return c;
        });
        // nudged until the pod appears, and the claim touched again each time: twice in CI rehearsals with other
        // tests running beside them, 20 s of nudges found the operator's claim cache without the fix (the Fabric8
        // mock's watch lost that one update; not reproduced alone). The claim being usable once marked is what is
        // tested; a further update of the same mark gives the informer the event again.
        AtomicInteger touches = new AtomicInteger();
        await().atMost(OperatorHarness.WAIT).pollInterval(Duration.ofSeconds(1)).until(() -> {
            h.nudge("keep");
            h.client
                    .persistentVolumeClaims()
                    .inNamespace(NS)
                    .withName("keep-home")
                    .edit(c -> {
                        c.getMetadata()
                                .getAnnotations()
                                .put("test.collab.dev/touch", Integer.toString(touches.incrementAndGet()));
                        return c;
                    });
            return h.client.pods().inNamespace(NS).withName("keep").get() != null;
        });
    }

    private static PersistentVolumeClaim claim(String name) {
        return new PersistentVolumeClaimBuilder()
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .withNewSpec()
                .withAccessModes("ReadWriteOnce")
                .withNewResources()
                .addToRequests("storage", new Quantity("1Gi"))
                .endResources()
                .endSpec()
                .build();
    }

    private List<Event> foreignEvents(String session) {
        return h.client.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> session.equals(e.getInvolvedObject().getName()))
                .filter(e -> e.getMessage() != null && e.getMessage().contains("ForeignChildObject"))
                .toList();
    }
}
