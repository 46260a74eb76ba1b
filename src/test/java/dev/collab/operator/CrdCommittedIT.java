package dev.collab.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The CRD the build generates is the one committed under crds/: a schema change must be committed on purpose.
 * An integration test because the Quarkus build (package phase) generates the CRD after the unit tests ran.
 */
class CrdCommittedIT {
    static final String CRD = "collabsessions.collab.dev-v1.yml";

    @Test
    void generatedCrdMatchesCommittedCrd() throws Exception {
        Path generated = Path.of("target/kubernetes", CRD);
        Path committed = Path.of("crds", CRD);
        assertThat(generated).as("the Quarkus build generates the CRD before tests run").exists();
        assertThat(Files.readString(generated))
                .as("crds/%s is stale: copy target/kubernetes/%s over it and commit", CRD, CRD)
                .isEqualTo(Files.readString(committed));
    }
}
