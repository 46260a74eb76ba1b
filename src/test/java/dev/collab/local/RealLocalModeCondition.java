package dev.collab.local;

import dev.collab.local.controlplane.ControlPlaneBinaries;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Disables a {@link RealLocalMode} class (reported as skipped) without opencode, the packaged app or, for the
 * control plane, its binaries and bwrap. With COLLAB_CONTROL_PLANE_REQUIRED=true (CI) missing binaries or bwrap
 * are not a reason to skip: the class runs and fails.
 */
final class RealLocalModeCondition implements ExecutionCondition {
    static final Path JAR = Path.of("target/quarkus-app/quarkus-run.jar");

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        boolean controlPlane = AnnotationSupport.findAnnotation(context.getElement(), RealLocalMode.class)
                .map(RealLocalMode::controlPlane)
                .orElse(false);
        String skip = skipReason(controlPlane);
        if (skip == null) {
            return ConditionEvaluationResult.enabled(
                    "opencode, packaged app" + (controlPlane ? ", control plane" : ""));
        }
        if (dev.collab.testing.Tiers.required()) {
            // fails the class with the reason (JUnit reports an exception of a condition as a failure)
            throw new IllegalStateException(
                    "COLLAB_TIERS_REQUIRED is set (CI), and " + context.getDisplayName() + " cannot run: " + skip);
        }
        System.out.println(context.getDisplayName() + " SKIPPED: " + skip);
        return ConditionEvaluationResult.disabled(skip);
    }

    static String skipReason(boolean controlPlane) {
        if (RealOpencode.find().isEmpty()) {
            return "needs opencode (run .ci/install-opencode.sh, put opencode on the PATH or set -Dcollab.it.opencode)";
        }
        if (!Files.isRegularFile(JAR)) {
            return JAR + " is missing (runs in ./mvnw verify)";
        }
        if (controlPlane) {
            if (ControlPlaneBinaries.find().isEmpty()) {
                return "no control plane binaries in " + ControlPlaneBinaries.location()
                        + ": run tools/control-plane/build.sh (CI does)";
            }
            if (OpencodeInstaller.findOnPath("bwrap").isEmpty()) {
                return "no bwrap on the PATH (apt-get install bubblewrap; CI does)";
            }
        }
        return null;
    }
}
