package dev.collab.operator;

import dev.collab.api.CollabSessionStatus;
import dev.collab.api.ConditionReasons;
import dev.collab.api.ConditionTypes;
import dev.collab.api.EventReasons;
import dev.collab.operator.SessionPlan.Event;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Duration;
import java.time.Instant;

/**
 * Pure: the steps before a published pod whose desired spec changed (new credentials, changed spec) is replaced
 * (docs/DESIGN.md section 4). First its endpoint is withdrawn (status: no endpoint, Ready=False reason PodDraining),
 * so routers hold new requests for the session instead of sending them to a pod about to go; then opencode is asked
 * whether an agent is busy, and the pod is replaced once none is, or once collab.session.drain-max has passed since
 * the withdrawal. The withdrawal's time is the Ready condition's lastTransitionTime, written by the same status
 * update that dropped the endpoint: it survives an operator restart, and the pod is never deleted before routers
 * could have seen the withdrawal.
 */
final class PodDrain {
    /**
     * How long each busy check waits before it asks (off the reconcile thread, {@link SessionProbes}): a router that
     * had not seen the withdrawal yet stops sending within it, and a prompt it sent meanwhile has made its agent busy.
     * Also the interval between checks while an agent works.
     */
    static final Duration SETTLE = Duration.ofSeconds(1);

    enum Action {
        /** Nothing is routed to the pod (no endpoint published) or draining is off: replace it now. */
        REPLACE_NOW,
        /** Withdraw the endpoint now; the pod stays. */
        WITHDRAW,
        /** Withdrawn, an agent may still work: keep the pod, look again at {@link Step#requeueAt()}. */
        WAIT,
        /** Withdrawn and no agent busy: replace it. */
        REPLACE_DRAINED,
        /** Withdrawn drain-max ago and still not idle: replace it anyway. */
        REPLACE_TIMED_OUT
    }

    /** The next step; {@code probe} non-null: ask opencode first and decide again with its answer. */
    record Step(Action action, ProbeFindings.Request probe, Instant requeueAt) {
        boolean replaces() {
            return action == Action.REPLACE_NOW
                    || action == Action.REPLACE_DRAINED
                    || action == Action.REPLACE_TIMED_OUT;
        }
    }

    private PodDrain() {}

    /**
     * @param status   the session's status as last written (whether an endpoint is published, since when withdrawn)
     * @param view     the live pod (its own endpoint, readiness)
     * @param busy     the drain's busy check so far, or null when not asked yet in this decision
     */
    static Step next(
            CollabSessionStatus status,
            PodView view,
            String serverPassword,
            ProbeFindings.Busy busy,
            Duration max,
            Instant now) {
        Instant since = withdrawnAt(status);
        if (since == null) {
            boolean published = status != null
                    && status.getEndpoint() != null
                    && !status.getEndpoint().isBlank();
            return published && !max.isZero() ? step(Action.WITHDRAW, now) : step(Action.REPLACE_NOW, null);
        }
        Instant deadline = since.plus(max);
        if (!now.isBefore(deadline)) {
            return step(Action.REPLACE_TIMED_OUT, null);
        }
        if (busy == null) {
            return new Step(
                    Action.WAIT,
                    new ProbeFindings.Request(ProbeFindings.Request.Kind.DRAIN, view.endpoint(), serverPassword, null),
                    null);
        }
        if (busy.pending()) {
            return step(Action.WAIT, deadline); // the answer wakes the session
        }
        return switch (busy.answer()) {
            case IDLE -> step(Action.REPLACE_DRAINED, null);
            // asked again at once: each check waits SETTLE before it asks
            case BUSY -> step(Action.WAIT, now);
            // a Ready pod that misses the check is loaded, not gone: its agent may still be answering
            case UNREACHABLE -> view.ready() ? step(Action.WAIT, now) : step(Action.REPLACE_DRAINED, null);
        };
    }

    /** When the endpoint was withdrawn for a drain that is still on, or null. */
    static Instant withdrawnAt(CollabSessionStatus status) {
        Condition ready = status == null ? null : status.condition(ConditionTypes.READY);
        if (ready == null
                || !"False".equals(ready.getStatus())
                || !ConditionReasons.POD_DRAINING.equals(ready.getReason())) {
            return null;
        }
        return Lifecycle.parseOrNull(ready.getLastTransitionTime());
    }

    /** The Event announcing a step: the change when it is first acted on, and a drain that ran out of time. */
    static Event event(Action action, boolean credentialsChanged, Duration max) {
        String cause = credentialsChanged ? "credential Secret changed" : "pod spec changed";
        String reason = credentialsChanged ? EventReasons.CREDENTIALS_ROTATED : EventReasons.POD_REPLACED;
        String replacing =
                credentialsChanged ? "replacing the pod so seed-home writes the new credentials" : "replacing the pod";
        return switch (action) {
            case REPLACE_NOW -> new Event(reason, cause + ": " + replacing, false);
            case WITHDRAW ->
                new Event(
                        reason,
                        cause + ": endpoint withdrawn (requests are held), " + replacing + " once no agent is busy (at"
                                + " most " + max.toSeconds() + "s)",
                        false);
            case REPLACE_TIMED_OUT ->
                new Event(
                        EventReasons.DRAIN_TIMED_OUT,
                        "an agent was still busy " + max.toSeconds() + "s after the endpoint was withdrawn: "
                                + replacing + " anyway",
                        true);
            case WAIT, REPLACE_DRAINED -> null;
        };
    }

    private static Step step(Action action, Instant requeueAt) {
        return new Step(action, null, requeueAt);
    }
}
