package dev.collab.operator;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.ConditionReasons;
import dev.collab.api.EgressPattern;
import dev.collab.api.GoDuration;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarSource;
import io.fabric8.kubernetes.api.model.Quantity;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Checks what the CRD schema also checks, for API servers (or embedded ones) that did not validate:
 * the operator must never build a half-configured pod from a bad spec.
 */
public final class SpecValidator {

    /** Turns opencode's /site.webmanifest into a proxy to a remote site (docs/DESIGN.md section 7). */
    static final String EMBEDDED_WEB_UI_SWITCH = "OPENCODE_DISABLE_EMBEDDED_WEB_UI";

    private SpecValidator() {}

    /** The session as the operator may run it: its name fits a label value, and its spec is valid. */
    public static Optional<SpecProblem> validate(CollabSession session, OperatorSettings settings) {
        String name = session.getMetadata().getName();
        if (name != null && name.length() > CollabLabels.MAX_SESSION_NAME) {
            return Optional.of(new SpecProblem(
                    ConditionReasons.NAME_TOO_LONG,
                    "the name has " + name.length() + " characters, at most " + CollabLabels.MAX_SESSION_NAME
                            + " fit the collab.dev/session label of its pod, volume claim and Secrets: recreate it"
                            + " with a shorter name"));
        }
        return validate(session.getSpec(), settings.allowEnvValueFrom());
    }

    /**
     * The spec alone. `allowEnvValueFrom`: whether spec.env may read Secrets or ConfigMaps (valueFrom.secretKeyRef,
     * configMapKeyRef); off by default, since the session's shell would expose any Secret of the namespace.
     */
    public static Optional<SpecProblem> validate(CollabSessionSpec spec, boolean allowEnvValueFrom) {
        if (spec == null) {
            return Optional.of(new SpecProblem(ConditionReasons.MISSING_SPEC, "the CollabSession has no spec"));
        }
        if (spec.getOwner() == null || spec.getOwner().isBlank()) {
            return Optional.of(new SpecProblem(
                    ConditionReasons.MISSING_OWNER, "spec.owner is required: the person this session bills as"));
        }
        if (spec.getCredentials() == null
                || spec.getCredentials().getSecretName() == null
                || spec.getCredentials().getSecretName().isBlank()) {
            return Optional.of(new SpecProblem(
                    ConditionReasons.MISSING_CREDENTIALS_SECRET, "spec.credentials.secretName is required"));
        }
        if (spec.getIdleTimeout() != null) {
            try {
                GoDuration.parse(spec.getIdleTimeout());
            } catch (IllegalArgumentException e) {
                return Optional.of(
                        new SpecProblem(ConditionReasons.INVALID_IDLE_TIMEOUT, "spec.idleTimeout: " + e.getMessage()));
            }
        }
        for (EnvVar env : spec.getEnv()) {
            String name = env.getName();
            if (name == null || name.isBlank()) {
                return Optional.of(
                        new SpecProblem(ConditionReasons.INVALID_ENV, "spec.env has an entry without a name"));
            }
            if (name.equals(EMBEDDED_WEB_UI_SWITCH)) {
                return Optional.of(new SpecProblem(
                        ConditionReasons.FORBIDDEN_ENV,
                        "spec.env may not set " + name
                                + ": the readiness probe (GET /site.webmanifest) needs opencode's embedded web UI"));
            }
            if (isReserved(name)) {
                return Optional.of(new SpecProblem(
                        ConditionReasons.FORBIDDEN_ENV,
                        "spec.env may not set " + name
                                + ": HOME, XDG_* and OPENCODE_SERVER_* are set by the operator"));
            }
            EnvVarSource from = env.getValueFrom();
            if (!allowEnvValueFrom
                    && from != null
                    && (from.getSecretKeyRef() != null || from.getConfigMapKeyRef() != null)) {
                String what = from.getSecretKeyRef() != null
                        ? "Secret " + from.getSecretKeyRef().getName()
                        : "ConfigMap " + from.getConfigMapKeyRef().getName();
                return Optional.of(
                        new SpecProblem(
                                ConditionReasons.FORBIDDEN_ENV_VALUE_FROM,
                                "spec.env " + name + " reads " + what
                                        + ": references to Secrets and ConfigMaps in spec.env"
                                        + " are refused unless the operator allows them (collab.session.allow-env-value-from)"));
            }
        }
        Optional<SpecProblem> egress = egress(spec);
        if (egress.isPresent()) {
            return egress;
        }
        if (spec.getStorage() != null && spec.getStorage().getSize() != null) {
            try {
                if (Quantity.getAmountInBytes(spec.getStorage().getSize()).signum() <= 0) {
                    return Optional.of(new SpecProblem(
                            ConditionReasons.INVALID_STORAGE_SIZE, "spec.storage.size must be positive"));
                }
            } catch (RuntimeException e) {
                return Optional.of(new SpecProblem(
                        ConditionReasons.INVALID_STORAGE_SIZE,
                        "spec.storage.size '" + spec.getStorage().getSize() + "' is not a quantity like 2Gi"));
            }
        }
        return Optional.empty();
    }

    /** spec.egress.allow in the grammar the gateway matches (no CEL rule: the API server refused its cost). */
    private static Optional<SpecProblem> egress(CollabSessionSpec spec) {
        if (spec.getEgress() == null) {
            return Optional.empty();
        }
        List<String> allow = spec.getEgress().getAllow();
        for (int i = 0; i < allow.size(); i++) {
            try {
                EgressPattern.parse(allow.get(i));
            } catch (IllegalArgumentException e) {
                return Optional.of(new SpecProblem(
                        ConditionReasons.INVALID_EGRESS_ALLOW,
                        "spec.egress.allow[" + i + "]: " + e.getMessage()
                                + " (entries look like registry.npmjs.org, *.github.com:443, 140.82.112.0/20:22)"));
            }
        }
        return Optional.empty();
    }

    /** Names the operator owns or that would break the worker's readiness probe; never passed to a pod. */
    public static boolean isReserved(String envName) {
        return envName.equals("HOME")
                || envName.startsWith("XDG_")
                || envName.startsWith("OPENCODE_SERVER_")
                || envName.equals(EMBEDDED_WEB_UI_SWITCH);
    }

    /** The session's idle timeout (spec, else configuration); ZERO means never. Call only on a valid spec. */
    public static Duration idleTimeout(CollabSessionSpec spec, OperatorSettings settings) {
        return spec.getIdleTimeout() == null || spec.getIdleTimeout().isBlank()
                ? settings.idleTimeout()
                : GoDuration.parse(spec.getIdleTimeout());
    }
}
