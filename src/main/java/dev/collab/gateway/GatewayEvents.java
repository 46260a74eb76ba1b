package dev.collab.gateway;

import dev.collab.api.CollabEvents;
import dev.collab.api.CollabSession;
import dev.collab.api.EventReasons;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;

/** The gateway's Events on CollabSessions (blocking: worker threads only). Messages never carry a credential. */
final class GatewayEvents {
    static final String COMPONENT = "collab-gateway";

    private final KubernetesClient client;
    private final GatewayDirectory directory;
    private final Clock clock;

    GatewayEvents(KubernetesClient client, GatewayDirectory directory, Clock clock) {
        this.client = client;
        this.directory = directory;
        this.clock = clock;
    }

    /** On every Gateway-mode session that uses the pool's Secret. */
    void reloginRequired(AccountPool pool, String account, String message) {
        for (CollabSession cs : directory.sessionsUsing(pool.namespace(), pool.secretName(), pool.owner())) {
            CollabEvents.emit(client, COMPONENT, cs, EventReasons.RELOGIN_REQUIRED, message, true, clock.instant());
        }
    }

    void budgetExhausted(GatewayDirectory.Target target, String message) {
        directory
                .session(target.namespace(), target.name())
                .ifPresent(cs -> CollabEvents.emit(
                        client, COMPONENT, cs, EventReasons.BUDGET_EXHAUSTED, message, true, clock.instant()));
    }
}
