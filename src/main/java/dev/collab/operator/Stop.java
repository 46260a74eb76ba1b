package dev.collab.operator;

import dev.collab.api.StoppedReason;
import java.time.Instant;

/** The session must have no pod: why, and since when (null for Suspended, which has no moment). */
public record Stop(StoppedReason reason, Instant since) {
}
