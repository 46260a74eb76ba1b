package dev.collab.operator;

import dev.collab.api.CollabSessionSpec;
import dev.collab.api.GoDuration;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Quantity;
import java.time.Duration;
import java.util.Optional;

/**
 * Checks what the CRD schema also checks, for API servers (or embedded ones) that did not validate:
 * the operator must never build a half-configured pod from a bad spec.
 */
public final class SpecValidator {

    /** Turns opencode's /site.webmanifest into a proxy to a remote site (docs/DESIGN.md section 7). */
    static final String EMBEDDED_WEB_UI_SWITCH = "OPENCODE_DISABLE_EMBEDDED_WEB_UI";

    private SpecValidator() {
    }

    public static Optional<SpecProblem> validate(CollabSessionSpec spec) {
        if (spec == null) {
            return Optional.of(new SpecProblem("MissingSpec", "the CollabSession has no spec"));
        }
        if (spec.getOwner() == null || spec.getOwner().isBlank()) {
            return Optional.of(new SpecProblem("MissingOwner", "spec.owner is required: the person this session bills as"));
        }
        if (spec.getCredentials() == null || spec.getCredentials().getSecretName() == null
                || spec.getCredentials().getSecretName().isBlank()) {
            return Optional.of(new SpecProblem("MissingCredentialsSecret", "spec.credentials.secretName is required"));
        }
        if (spec.getIdleTimeout() != null) {
            try {
                GoDuration.parse(spec.getIdleTimeout());
            } catch (IllegalArgumentException e) {
                return Optional.of(new SpecProblem("InvalidIdleTimeout", "spec.idleTimeout: " + e.getMessage()));
            }
        }
        for (EnvVar env : spec.getEnv()) {
            String name = env.getName();
            if (name == null || name.isBlank()) {
                return Optional.of(new SpecProblem("InvalidEnv", "spec.env has an entry without a name"));
            }
            if (name.equals(EMBEDDED_WEB_UI_SWITCH)) {
                return Optional.of(new SpecProblem("ForbiddenEnv", "spec.env may not set " + name
                        + ": the readiness probe (GET /site.webmanifest) needs opencode's embedded web UI"));
            }
            if (isReserved(name)) {
                return Optional.of(new SpecProblem("ForbiddenEnv",
                        "spec.env may not set " + name + ": HOME, XDG_* and OPENCODE_SERVER_* are set by the operator"));
            }
        }
        if (spec.getStorage() != null && spec.getStorage().getSize() != null) {
            try {
                if (Quantity.getAmountInBytes(spec.getStorage().getSize()).signum() <= 0) {
                    return Optional.of(new SpecProblem("InvalidStorageSize", "spec.storage.size must be positive"));
                }
            } catch (RuntimeException e) {
                return Optional.of(new SpecProblem("InvalidStorageSize",
                        "spec.storage.size '" + spec.getStorage().getSize() + "' is not a quantity like 2Gi"));
            }
        }
        return Optional.empty();
    }

    /** Names the operator owns or that would break the worker's readiness probe; never passed to a pod. */
    public static boolean isReserved(String envName) {
        return envName.equals("HOME") || envName.startsWith("XDG_") || envName.startsWith("OPENCODE_SERVER_")
                || envName.equals(EMBEDDED_WEB_UI_SWITCH);
    }

    /** The session's idle timeout (spec, else configuration); ZERO means never. Call only on a valid spec. */
    public static Duration idleTimeout(CollabSessionSpec spec, OperatorSettings settings) {
        return spec.getIdleTimeout() == null || spec.getIdleTimeout().isBlank()
                ? settings.idleTimeout()
                : GoDuration.parse(spec.getIdleTimeout());
    }
}
