package dev.collab.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.OwnerReferences;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pure ownership rule of issue 30 item 1: names and labels prove nothing, the controller uid does. */
class ChildOwnershipTest {
    private static final CollabSession SESSION = session("s", "uid-s");

    @Test
    void aChildIsTheSessionsOnlyWithItsControllerUid() {
        Secret planted = secret("s-access", CollabLabels.childLabels("s", "alice", CollabLabels.ROLE_ACCESS));
        assertThat(ChildOwnership.isSessions(planted, SESSION))
                .as("labels alone")
                .isFalse();

        Secret ours = secret("s-access", Map.of());
        ours.getMetadata().setOwnerReferences(java.util.List.of(OwnerReferences.controller(SESSION)));
        assertThat(ChildOwnership.isSessions(ours, SESSION)).isTrue();
        assertThat(ChildOwnership.isSessions(ours, session("s", "uid-new")))
                .as("a new session of the same name")
                .isFalse();

        Secret plainRef = secret("s-access", Map.of());
        plainRef.getMetadata().setOwnerReferences(java.util.List.of(OwnerReferences.plain(SESSION)));
        assertThat(ChildOwnership.isSessions(plainRef, SESSION))
                .as("not a controller reference")
                .isFalse();
    }

    @Test
    void anUnownedClaimIsTheSessionsByItsUidAnnotationOnly() {
        PersistentVolumeClaim marked = claim("s-home", Map.of(CollabLabels.SESSION_UID, "uid-s"));
        assertThat(ChildOwnership.isSessions(marked, SESSION)).isTrue();
        assertThat(ChildOwnership.isSessions(marked, session("s", "uid-new"))).isFalse();
        Secret annotatedSecret = secret("s-access", Map.of());
        annotatedSecret.getMetadata().setAnnotations(Map.of(CollabLabels.SESSION_UID, "uid-s"));
        assertThat(ChildOwnership.isSessions(annotatedSecret, SESSION))
                .as("the annotation counts on claims only")
                .isFalse();
    }

    @Test
    void aWarmWorkersChildIsUsableOnlyByASessionRunningAClaimedWorker() {
        Secret poolChild = secret("default-ab12c-access", Map.of(CollabLabels.POOL, "default"));
        poolChild
                .getMetadata()
                .setOwnerReferences(java.util.List.of(new OwnerReferenceBuilder()
                        .withApiVersion("collab.dev/v1alpha1")
                        .withKind("CollabSessionPool")
                        .withName("default")
                        .withUid("uid-pool")
                        .withController(true)
                        .build()));
        assertThat(ChildOwnership.isPoolWorkers(poolChild)).isTrue();
        assertThat(ChildOwnership.usable(poolChild, SESSION, true)).isTrue();
        assertThat(ChildOwnership.usable(poolChild, SESSION, false)).isFalse();

        poolChild.getMetadata().setLabels(Map.of(CollabLabels.POOL, "other"));
        assertThat(ChildOwnership.isPoolWorkers(poolChild))
                .as("controlled by another pool than its label names")
                .isFalse();
    }

    @Test
    void firstForeignNamesThePlantedObject() {
        Pod ours = new PodBuilder()
                .withMetadata(new ObjectMetaBuilder()
                        .withName("s")
                        .withOwnerReferences(OwnerReferences.controller(SESSION))
                        .build())
                .build();
        PersistentVolumeClaim legacy = claim("s-home", Map.of());
        legacy.getMetadata().setLabels(CollabLabels.childLabels("s", "alice", null));

        assertThat(ChildOwnership.firstForeign(SESSION, false, ours, legacy, null))
                .as("a claim of before issue 30 while the session's own pod runs on it")
                .isEmpty();
        assertThat(ChildOwnership.firstForeign(SESSION, false, null, legacy, null))
                .hasValueSatisfying(p -> {
                    assertThat(p.reason()).isEqualTo("ForeignChildObject");
                    assertThat(p.message()).contains("PersistentVolumeClaim s-home", "collab.dev/session-uid=uid-s");
                });
        Secret planted = secret("s-access", CollabLabels.childLabels("s", "alice", CollabLabels.ROLE_ACCESS));
        assertThat(ChildOwnership.firstForeign(SESSION, false, ours, null, planted))
                .hasValueSatisfying(p -> assertThat(p.message()).contains("Secret s-access", "delete secret s-access"));
        assertThat(ChildOwnership.firstForeign(SESSION, false, null, null, null))
                .isEmpty();
    }

    private static CollabSession session(String name, String uid) {
        CollabSession cs = new CollabSession();
        cs.setMetadata(new ObjectMetaBuilder()
                .withName(name)
                .withNamespace("collab")
                .withUid(uid)
                .build());
        cs.setSpec(new CollabSessionSpec("alice", "creds"));
        return cs;
    }

    private static Secret secret(String name, Map<String, String> labels) {
        return new SecretBuilder()
                .withMetadata(new ObjectMetaBuilder()
                        .withName(name)
                        .withLabels(labels)
                        .build())
                .build();
    }

    private static PersistentVolumeClaim claim(String name, Map<String, String> annotations) {
        return new PersistentVolumeClaimBuilder()
                .withMetadata(new ObjectMetaBuilder()
                        .withName(name)
                        .withAnnotations(annotations)
                        .build())
                .build();
    }
}
