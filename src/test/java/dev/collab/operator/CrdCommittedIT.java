package dev.collab.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CRD the build generates is the one committed under crds/: a schema change must be committed on purpose.
 * An integration test because the Quarkus build (package phase) generates the CRD after the unit tests ran.
 */
class CrdCommittedIT {
    @ParameterizedTest
    @ValueSource(strings = {"collabsessions.collab.dev-v1.yml", "collabsessionpools.collab.dev-v1.yml"})
    void generatedCrdMatchesCommittedCrd(String crd) throws Exception {
        Path generated = Path.of("target/kubernetes", crd);
        Path committed = Path.of("crds", crd);
        assertThat(generated)
                .as("the Quarkus build generates the CRD before tests run")
                .exists();
        assertThat(Files.readString(generated))
                .as("crds/%s is stale: copy target/kubernetes/%s over it and commit", crd, crd)
                .isEqualTo(Files.readString(committed));
    }
}
