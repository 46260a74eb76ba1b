package dev.collab.operator;

import static dev.collab.operator.WorkerPodBuilderTest.creds;
import static dev.collab.operator.WorkerPodBuilderTest.session;
import static org.assertj.core.api.Assertions.assertThat;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DesiredSpecHashesTest {
    private final OperatorSettings settings = OperatorSettings.defaults();
    private final DesiredSpecHashes hashes = new DesiredSpecHashes(settings);

    private String built(CollabSession s, CredentialsState c, WorkerNames names) {
        return WorkerPodBuilder.desired(s, settings, c, names)
                .getMetadata()
                .getAnnotations()
                .get(CollabLabels.SPEC_HASH);
    }

    private static CollabSession atGeneration(String name, long generation) {
        CollabSession s = session(name);
        s.getMetadata().setGeneration(generation);
        return s;
    }

    @Test
    void theHashIsTheOneTheBuiltPodCarries() {
        CollabSession s = atGeneration("s1", 1);
        CredentialsState c = creds(Map.of("auth.json", "{}"));
        WorkerNames names = WorkerNames.of("s1");
        assertThat(hashes.of(s, c, names)).isEqualTo(built(s, c, names));
        assertThat(hashes.of(s, c, names)).as("remembered").isEqualTo(built(s, c, names));
        assertThat(hashes.remembered()).isEqualTo(1);
    }

    @Test
    void aNewGenerationNewCredentialsOrAnotherWorkerGetTheirOwnHash() {
        CollabSession s = atGeneration("s1", 1);
        CredentialsState c = creds(Map.of("auth.json", "{}"));
        String first = hashes.of(s, c, WorkerNames.of("s1"));

        CollabSession edited = atGeneration("s1", 2);
        edited.getSpec()
                .setResources(new ResourceRequirementsBuilder()
                        .addToLimits("memory", new Quantity("3Gi"))
                        .build());
        String afterEdit = hashes.of(edited, c, WorkerNames.of("s1"));
        assertThat(afterEdit).isNotEqualTo(first).isEqualTo(built(edited, c, WorkerNames.of("s1")));

        CredentialsState rotated = creds(Map.of("auth.json", "{\"new\":1}"));
        assertThat(hashes.of(edited, rotated, WorkerNames.of("s1")))
                .isNotEqualTo(afterEdit)
                .isEqualTo(built(edited, rotated, WorkerNames.of("s1")));

        WorkerNames claimed = WorkerNames.of("default-x7k2p");
        assertThat(hashes.of(edited, rotated, claimed)).isEqualTo(built(edited, rotated, claimed));
    }

    @Test
    void theHashOfAPodBuiltToBeCreatedIsRemembered() {
        CollabSession s = atGeneration("s4", 1);
        CredentialsState c = creds(Map.of("auth.json", "{}"));
        String created = hashes.pod(s, c, WorkerNames.of("s4"))
                .getMetadata()
                .getAnnotations()
                .get(CollabLabels.SPEC_HASH);
        assertThat(hashes.remembered()).isEqualTo(1);
        assertThat(hashes.of(s, c, WorkerNames.of("s4"))).isEqualTo(created);
    }

    @Test
    void aSessionWithoutGenerationIsNotRememberedAndAGonePodIsForgotten() {
        CollabSession noGeneration = session("s2");
        CredentialsState c = creds(Map.of("auth.json", "{}"));
        assertThat(hashes.of(noGeneration, c, WorkerNames.of("s2")))
                .isEqualTo(built(noGeneration, c, WorkerNames.of("s2")));
        assertThat(hashes.remembered()).isZero();

        CollabSession s = atGeneration("s3", 1);
        hashes.of(s, c, WorkerNames.of("s3"));
        hashes.podGone(ResourceID.fromResource(s));
        assertThat(hashes.remembered()).isZero();
    }
}
