package dev.collab.operator;

import dev.collab.api.EventReasons;
import dev.collab.api.StoppedReason;
import dev.collab.operator.SessionPlan.Event;
import java.time.Instant;

/** The session must have no pod: why, and since when (null for Suspended, which has no moment). */
public record Stop(StoppedReason reason, Instant since) {

    /** The Event announcing this stop, or null when another session's start announces it (capacity). */
    Event event() {
        return switch (reason) {
            case IdleTimeout ->
                new Event(
                        EventReasons.IDLE_STOPPED,
                        "no activity within the idle timeout: pod stopped, HOME kept",
                        false);
            case Suspended -> new Event(EventReasons.SUSPENDED, "spec.suspend is true: pod stopped, HOME kept", false);
            // Announced by the session whose start caused it.
            case CapacityEvicted -> null;
        };
    }
}
