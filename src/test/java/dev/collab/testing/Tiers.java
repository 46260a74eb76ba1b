package dev.collab.testing;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * No silent skips: a test that cannot run here (a missing binary, browser or build) is reported as skipped with the
 * reason on a developer's machine, but fails with the reason when {@code COLLAB_TIERS_REQUIRED=true}, which
 * {@code .ci/run} always sets: in CI every tier runs or the run fails.
 */
public final class Tiers {
    private Tiers() {}

    public static boolean required() {
        return Boolean.parseBoolean(System.getenv("COLLAB_TIERS_REQUIRED"));
    }

    /** Skips (developer machine) or fails (CI) with {@code reason} unless {@code available}. */
    public static void assumeAvailable(boolean available, String reason) {
        if (available) {
            return;
        }
        if (required()) {
            Assertions.fail("COLLAB_TIERS_REQUIRED is set (CI), and this test cannot run: " + reason);
        }
        System.out.println("SKIPPED: " + reason);
        Assumptions.abort(reason);
    }
}
