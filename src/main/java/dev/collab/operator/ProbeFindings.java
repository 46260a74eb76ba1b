package dev.collab.operator;

import java.time.Instant;

/**
 * What the network probes of one reconcile found, fed to the pure {@link SessionDecision}. A null field means
 * that probe has not run: when the decision needs it, its plan asks for it ({@link SessionPlan#probe()}).
 */
record ProbeFindings(Busy busy, Answer answer) {
    static final ProbeFindings NONE = new ProbeFindings(null, null);

    /**
     * The busy check's answer and how many checks in a row found opencode unreachable (0 after an answer); answer null
     * ({@link #PENDING}): asked, no answer yet (the probe runs off the reconcile thread, and its answer wakes the
     * session).
     */
    record Busy(BusyProbe.Answer answer, int unreachableInARow) {
        static final Busy PENDING = new Busy(null, 0);

        boolean pending() {
            return answer == null;
        }
    }

    /**
     * Whether the Ready pod has answered an authenticated request once; if not, how many requests in a row it left
     * unanswered and when it may be asked again.
     */
    record Answer(boolean answered, int unansweredInARow, Instant nextTry) {
        static final Answer ANSWERED = new Answer(true, 0, null);
    }

    /**
     * A probe the decision needs: the busy check (idle deadline passed), the first-answer check of a pod, or the busy
     * check of a withdrawn pod about to be replaced ({@link PodDrain}; its answer is a {@link Busy} too).
     */
    record Request(Kind kind, String endpoint, String serverPassword, String podUid) {
        enum Kind {
            BUSY,
            ANSWER,
            DRAIN
        }
    }

    ProbeFindings with(Busy found) {
        return new ProbeFindings(found, answer);
    }

    ProbeFindings with(Answer found) {
        return new ProbeFindings(busy, found);
    }
}
