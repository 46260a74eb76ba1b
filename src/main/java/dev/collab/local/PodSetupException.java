package dev.collab.local;

/** A pod that cannot start yet, with the waiting reason a kubelet would report. */
final class PodSetupException extends Exception {
    private final String reason;

    PodSetupException(String reason, String message) {
        super(message);
        this.reason = reason;
    }

    String reason() {
        return reason;
    }
}
