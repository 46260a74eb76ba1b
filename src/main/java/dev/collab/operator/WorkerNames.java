package dev.collab.operator;

import dev.collab.api.CollabLabels;

/**
 * Names of a worker's pod, HOME claim and access Secret, all derived from one base: the session name for a worker
 * the operator started for the session, the warm worker's name ({@code <pool>-<suffix>}) for a claimed one. The
 * HOME claim keeps the base durable: a claimed session whose pod was stopped finds it again by its claim.
 */
public record WorkerNames(String pod, String homeClaim, String accessSecret) {
    private static final String HOME_SUFFIX = CollabLabels.homeClaimName("");

    public static WorkerNames of(String base) {
        return new WorkerNames(base, CollabLabels.homeClaimName(base), CollabLabels.accessSecretName(base));
    }

    /** The names around a HOME claim {@code <base>-home}; null for a claim not named that way. */
    public static WorkerNames fromHomeClaim(String claimName) {
        return claimName.endsWith(HOME_SUFFIX) && claimName.length() > HOME_SUFFIX.length()
                ? of(claimName.substring(0, claimName.length() - HOME_SUFFIX.length()))
                : null;
    }
}
