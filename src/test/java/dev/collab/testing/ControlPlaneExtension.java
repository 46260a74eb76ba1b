package dev.collab.testing;

import dev.collab.local.controlplane.ControlPlaneBinaries;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension for the {@code *ControlPlaneIT} tier: one {@link ControlPlane} for the whole test run (shared
 * by every class that uses the extension, stopped when the run ends, failed or not), injected as a parameter.
 * When {@code tools/control-plane/build.sh} has not built the binaries the tests are skipped, not passed
 * (unless {@code COLLAB_CONTROL_PLANE_REQUIRED=true}, as in CI, where they fail).
 */
public final class ControlPlaneExtension implements ExecutionCondition, BeforeAllCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(ControlPlane.class);

    /** Disabled (reported as skipped, with the reason) when the binaries are missing and not required. */
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if (ControlPlaneBinaries.find().isPresent() || required()) {
            return ConditionEvaluationResult.enabled("control plane binaries in " + ControlPlaneBinaries.location());
        }
        return ConditionEvaluationResult.disabled("no control plane binaries in " + ControlPlaneBinaries.location()
                + ": run tools/control-plane/build.sh (CI does)");
    }

    private static boolean required() {
        return Boolean.parseBoolean(System.getenv("COLLAB_CONTROL_PLANE_REQUIRED")) || Tiers.required();
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        shared(context);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == ControlPlane.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return shared(context);
    }

    private static ControlPlane shared(ExtensionContext context) {
        Optional<ControlPlaneBinaries> binaries = ControlPlaneBinaries.find();
        if (binaries.isEmpty() && required()) {
            throw new IllegalStateException("COLLAB_CONTROL_PLANE_REQUIRED is set but there are no control plane"
                    + " binaries in " + ControlPlaneBinaries.location());
        }
        Assumptions.assumeTrue(
                binaries.isPresent(),
                () -> "no control plane binaries in " + ControlPlaneBinaries.location()
                        + ": run tools/control-plane/build.sh (CI does)");
        return context.getRoot()
                .getStore(NAMESPACE)
                .getOrComputeIfAbsent(
                        Running.class, k -> new Running(ControlPlane.start(binaries.get())), Running.class)
                .plane();
    }

    /** Closed by JUnit when the root context closes, i.e. after the last test class. */
    private record Running(ControlPlane plane) implements AutoCloseable {
        @Override
        public void close() {
            plane.close();
        }
    }
}
