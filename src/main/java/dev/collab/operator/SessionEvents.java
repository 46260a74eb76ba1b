package dev.collab.operator;

import dev.collab.api.CollabEvents;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Instant;

/**
 * Kubernetes Events on the CollabSession for every transition. Messages are built by the operator from
 * names and reasons only: never from Secret data.
 */
final class SessionEvents {
    static final String COMPONENT = "collab-session-operator";

    private SessionEvents() {}

    static void emit(
            KubernetesClient client, HasMetadata session, String reason, String message, boolean warning, Instant now) {
        CollabEvents.emit(client, COMPONENT, session, reason, message, warning, now);
    }
}
