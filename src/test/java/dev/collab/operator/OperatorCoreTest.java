package dev.collab.operator;

import static dev.collab.operator.OperatorHarness.NS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.ConditionTypes;
import dev.collab.api.SessionPhase;
import dev.collab.api.StoppedReason;
import dev.collab.testing.Specs;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Issue 3: a CollabSession becomes exactly the PVC, access Secret and Pod of docs/DESIGN.md section 3. */
class OperatorCoreTest {
    private OperatorHarness h;

    @BeforeEach
    void start() {
        h = new OperatorHarness(OperatorSettings.defaults());
    }

    @AfterEach
    void stop() {
        h.close();
    }

    @Test
    void createsClaimAccessSecretAndPodOwnedAndLabelled() {
        h.credentials(
                "alice-creds",
                "Alice@Example.com",
                Map.of("auth.json", "{\"anthropic\":{\"type\":\"api\",\"key\":\"sk-a\"}}"));
        CollabSession cs = h.create("alice", "Alice@Example.com", "alice-creds");
        String uid = cs.getMetadata().getUid();

        Pod pod = awaitPod("alice");
        PersistentVolumeClaim pvc = h.client
                .persistentVolumeClaims()
                .inNamespace(NS)
                .withName("alice-home")
                .get();
        Secret access =
                h.client.secrets().inNamespace(NS).withName("alice-access").get();

        for (var meta : List.of(pod.getMetadata(), pvc.getMetadata(), access.getMetadata())) {
            assertThat(meta.getOwnerReferences()).singleElement().satisfies(ref -> {
                assertThat(ref.getUid()).isEqualTo(uid);
                assertThat(ref.getController()).isTrue();
            });
            assertThat(meta.getLabels())
                    .containsEntry(CollabLabels.MANAGED_BY, "collab-session-operator")
                    .containsEntry(CollabLabels.PART_OF, "collab")
                    .containsEntry(CollabLabels.SESSION, "alice")
                    .containsEntry(CollabLabels.OWNER, CollabLabels.ownerLabelValue("Alice@Example.com"));
        }
        assertThat(pod.getMetadata().getLabels()).containsEntry(CollabLabels.ROLE, "worker");
        assertThat(access.getMetadata().getLabels()).containsEntry(CollabLabels.ROLE, "access");
        assertThat(access.getData()).containsOnlyKeys("token", "server-password");
        assertThat(pod.getSpec().getVolumes())
                .filteredOn(v -> v.getSecret() != null)
                .singleElement()
                .satisfies(v -> assertThat(v.getSecret().getSecretName()).isEqualTo("alice-creds"));
        assertThat(pod.getSpec().getAutomountServiceAccountToken()).isFalse();
        assertThat(pod.getSpec().getContainers().get(0).getEnv())
                .filteredOn(e -> e.getName().equals("OPENCODE_SERVER_PASSWORD"))
                .singleElement()
                .satisfies(e ->
                        assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("alice-access"));
        assertThat(pvc.getSpec().getResources().getRequests().get("storage").toString())
                .isEqualTo("2Gi");
    }

    @Test
    void twoSessionsEachMountOnlyTheirOwnSecret() {
        h.credentials("a-creds", Map.of("auth.json", "{\"a\":1}"));
        h.credentials("b-creds", "bob", Map.of("claude-credentials.json", "{\"b\":1}", "unrelated", "x"));
        h.create("sa", "alice", "a-creds");
        h.create("sb", "bob", "b-creds");

        Pod a = awaitPod("sa");
        Pod b = awaitPod("sb");
        assertThat(secretNames(a)).containsExactly("a-creds");
        assertThat(secretNames(b)).containsExactly("b-creds");
        assertThat(WorkerPodBuilder.mountedCredentialKeys(a)).containsExactly("auth.json");
        assertThat(WorkerPodBuilder.mountedCredentialKeys(b)).containsExactly("claude-credentials.json");
        assertThat(a.getMetadata().getAnnotations().get(CollabLabels.CREDENTIALS_HASH))
                .isNotEqualTo(b.getMetadata().getAnnotations().get(CollabLabels.CREDENTIALS_HASH));
    }

    @Test
    void readyPodPublishesEndpointAndRunningPhase() {
        h.credentials("c", Map.of("auth.json", "{}"));
        h.create("ready", "alice", "c");

        CollabSession s = h.awaitSession(
                "ready", cs -> cs.getStatus() != null && cs.getStatus().getPhase() == SessionPhase.Running);
        assertThat(s.getStatus().getEndpoint()).matches("http://10\\.42\\.0\\.\\d+:4096");
        assertThat(s.getStatus().isConditionTrue(ConditionTypes.READY)).isTrue();
        assertThat(s.getStatus().isConditionTrue(ConditionTypes.CREDENTIALS_READY))
                .isTrue();
        assertThat(s.getStatus().isConditionTrue(ConditionTypes.STORAGE_READY)).isTrue();
        assertThat(s.getStatus().getConditions())
                .hasSize(4)
                .extracting(Condition::getType)
                .doesNotHaveDuplicates();
        assertThat(s.getStatus().getPodName()).isEqualTo("ready");
        assertThat(s.getStatus().getAccessSecretName()).isEqualTo("ready-access");
        assertThat(s.getStatus().getCredentialsHash()).startsWith("sha256:");
        assertThat(s.getStatus().getRestartCount()).isZero();
        assertThat(s.getStatus().getStartedAt()).isNotNull();
        assertThat(s.getStatus().getObservedGeneration())
                .isEqualTo(s.getMetadata().getGeneration());
    }

    @Test
    void credentialChangeReplacesPodWithNewHash() {
        h.credentials("rot", Map.of("auth.json", "{\"k\":\"old\"}"));
        h.create("rot", "alice", "rot");
        CollabSession before = h.awaitSession(
                "rot", cs -> cs.getStatus() != null && cs.getStatus().getPhase() == SessionPhase.Running);
        String oldUid = h.client
                .pods()
                .inNamespace(NS)
                .withName("rot")
                .get()
                .getMetadata()
                .getUid();
        String oldHash = before.getStatus().getCredentialsHash();

        h.credentials("rot", Map.of("auth.json", "{\"k\":\"new\"}"));

        CollabSession after = h.awaitSession(
                "rot",
                cs -> cs.getStatus().getPhase() == SessionPhase.Running
                        && !oldHash.equals(cs.getStatus().getCredentialsHash()));
        Pod pod = h.client.pods().inNamespace(NS).withName("rot").get();
        assertThat(pod.getMetadata().getUid()).isNotEqualTo(oldUid);
        assertThat(pod.getMetadata().getAnnotations().get(CollabLabels.CREDENTIALS_HASH))
                .isEqualTo(after.getStatus().getCredentialsHash());
        // The access Secret is create-only: replacing the pod never regenerates the session token.
        assertThat(h.client
                        .secrets()
                        .inNamespace(NS)
                        .withName("rot-access")
                        .get()
                        .getMetadata()
                        .getResourceVersion())
                .isNotNull();
    }

    @Test
    void suspendStopsPodKeepsClaimAndResumeBringsItBack() {
        h.credentials("sus", Map.of("auth.json", "{}"));
        h.create("sus", "alice", "sus");
        awaitPod("sus");
        String token = h.client
                .secrets()
                .inNamespace(NS)
                .withName("sus-access")
                .get()
                .getData()
                .get("token");

        h.edit("sus", s -> {
            s.getSpec().setSuspend(true);
            return s;
        });
        CollabSession stopped = h.awaitSession("sus", cs -> cs.getStatus().getPhase() == SessionPhase.Stopped);
        assertThat(stopped.getStatus().getStoppedReason()).isEqualTo(StoppedReason.Suspended);
        assertThat(stopped.getStatus().condition(ConditionTypes.READY).getReason())
                .isEqualTo("Suspended");
        await().atMost(OperatorHarness.WAIT)
                .until(() -> h.client.pods().inNamespace(NS).withName("sus").get() == null);
        assertThat(h.client
                        .persistentVolumeClaims()
                        .inNamespace(NS)
                        .withName("sus-home")
                        .get())
                .isNotNull();

        h.edit("sus", s -> {
            s.getSpec().setSuspend(false);
            return s;
        });
        h.awaitSession("sus", cs -> cs.getStatus().getPhase() == SessionPhase.Running);
        assertThat(h.client
                        .secrets()
                        .inNamespace(NS)
                        .withName("sus-access")
                        .get()
                        .getData()
                        .get("token"))
                .isEqualTo(token);
    }

    @Test
    void missingSecretIsReportedThenRecoversWhenCreated() {
        h.create("late", "alice", "late-creds");
        CollabSession pending = h.awaitSession(
                "late", cs -> cs.getStatus() != null && cs.getStatus().getPhase() != null);
        assertThat(pending.getStatus().getPhase()).isEqualTo(SessionPhase.Pending);
        assertThat(pending.getStatus()
                        .condition(ConditionTypes.CREDENTIALS_READY)
                        .getReason())
                .isEqualTo("SecretNotFound");
        assertThat(pending.getStatus().condition(ConditionTypes.READY).getMessage())
                .contains("late-creds");
        assertThat(h.client.pods().inNamespace(NS).withName("late").get()).isNull();

        h.credentials("late-creds", Map.of("opencode.json", "{}"));
        h.awaitSession("late", cs -> cs.getStatus().getPhase() == SessionPhase.Running);
    }

    @Test
    void secretWithoutKnownKeysIsReported() {
        h.credentials("junk", Map.of("id_rsa", "nope"));
        h.create("junk", "alice", "junk");
        CollabSession s = h.awaitSession(
                "junk", cs -> cs.getStatus() != null && cs.getStatus().getPhase() != null);
        assertThat(s.getStatus().condition(ConditionTypes.CREDENTIALS_READY).getReason())
                .isEqualTo("NoKnownCredentialKeys");
        assertThat(h.client.pods().inNamespace(NS).withName("junk").get()).isNull();
    }

    @Test
    void invalidSpecsGiveReasonsAndNoPodThenRecover() {
        h.credentials("v", Map.of("auth.json", "{}"));
        CollabSessionSpec badEnv = new CollabSessionSpec("alice", "v");
        badEnv.setEnv(List.of(new EnvVar("HOME", "/root", null)));
        h.create("badenv", badEnv);
        CollabSessionSpec badIdle = new CollabSessionSpec("alice", "v");
        badIdle.setIdleTimeout("half an hour");
        h.create("badidle", badIdle);

        h.assertFailed("badenv", "ForbiddenEnv", "HOME");
        h.assertFailed("badidle", "InvalidIdleTimeout", "half an hour");
        assertThat(h.client.pods().inNamespace(NS).list().getItems()).isEmpty();

        h.edit("badidle", s -> {
            s.getSpec().setIdleTimeout("45m");
            return s;
        });
        h.awaitSession("badidle", cs -> cs.getStatus().getPhase() == SessionPhase.Running);
        assertThat(h.session("badenv").getStatus().getPhase()).isEqualTo(SessionPhase.Failed);
    }

    @Test
    void podDeletedFromUnderTheOperatorIsRecreated() {
        h.credentials("ev", Map.of("auth.json", "{}"));
        h.create("ev", "alice", "ev");
        String uid = awaitPod("ev").getMetadata().getUid();

        h.client.pods().inNamespace(NS).withName("ev").delete();

        await().atMost(OperatorHarness.WAIT).until(() -> {
            Pod p = h.client.pods().inNamespace(NS).withName("ev").get();
            return p != null && !p.getMetadata().getUid().equals(uid);
        });
        h.awaitSession("ev", cs -> cs.getStatus().getPhase() == SessionPhase.Running);
    }

    @Test
    void retainOnDeleteLeavesTheClaimUnowned() {
        h.credentials("keep", Map.of("auth.json", "{}"));
        CollabSessionSpec spec = Specs.seeded("alice", "keep");
        spec.setStorage(new dev.collab.api.StorageSpec());
        spec.getStorage().setRetainOnDelete(true);
        CollabSession cs = h.create("keep", spec);
        awaitPod("keep");
        assertThat(h.client
                        .persistentVolumeClaims()
                        .inNamespace(NS)
                        .withName("keep-home")
                        .get()
                        .getMetadata()
                        .getOwnerReferences())
                .isNullOrEmpty();

        h.client.resource(cs).delete();
        h.collectGarbage(cs.getMetadata().getUid());
        assertThat(h.client
                        .persistentVolumeClaims()
                        .inNamespace(NS)
                        .withName("keep-home")
                        .get())
                .isNotNull();
        assertThat(h.client.pods().inNamespace(NS).withName("keep").get()).isNull();
    }

    private Pod awaitPod(String name) {
        await().atMost(OperatorHarness.WAIT)
                .until(() -> h.client.pods().inNamespace(NS).withName(name).get() != null);
        return h.client.pods().inNamespace(NS).withName(name).get();
    }

    private static List<String> secretNames(Pod pod) {
        return pod.getSpec().getVolumes().stream()
                .filter(v -> v.getSecret() != null)
                .map(v -> v.getSecret().getSecretName())
                .toList();
    }
}
