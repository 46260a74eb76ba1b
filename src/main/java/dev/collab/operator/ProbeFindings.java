package dev.collab.operator;

import java.time.Instant;

/**
 * What the network probes of one reconcile found, fed to the pure {@link SessionDecision}. A null field means
 * that probe has not run: when the decision needs it, its plan asks for it ({@link SessionPlan#probe()}).
 */
record ProbeFindings(Busy busy, Answer answer) {
    static final ProbeFindings NONE = new ProbeFindings(null, null);

    /** The busy check's answer and how many checks in a row found opencode unreachable (0 after an answer). */
    record Busy(BusyProbe.Answer answer, int unreachableInARow) {}

    /** Whether the Ready pod has answered HTTP once; if not, since when it has been seen not answering. */
    record Answer(boolean answered, Instant failingSince) {
        static final Answer ANSWERED = new Answer(true, null);
    }

    /** A probe the decision needs: the busy check (idle deadline passed) or the first-answer check of a pod. */
    record Request(Kind kind, String endpoint, String serverPassword, String podUid) {
        enum Kind {
            BUSY,
            ANSWER
        }
    }

    ProbeFindings with(Busy found) {
        return new ProbeFindings(found, answer);
    }

    ProbeFindings with(Answer found) {
        return new ProbeFindings(busy, found);
    }
}
