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
    private final java.util.Map<String, Long> lastEgressEvent = new java.util.concurrent.ConcurrentHashMap<>();

    GatewayEvents(KubernetesClient client, GatewayDirectory directory, Clock clock) {
        this.client = client;
        this.directory = directory;
        this.clock = clock;
    }

    /**
     * The owner as the accounts API names it (spec.owner of a session using the pool; the Secret carries only the
     * owner label's value, which may be a digest), or "{owner}" when no session uses it now.
     */
    String ownerName(AccountPool pool) {
        return directory.sessionsUsing(pool.namespace(), pool.secretName(), pool.owner()).stream()
                .map(cs -> cs.getSpec().getOwner())
                .findFirst()
                .orElse("{owner}");
    }

    /** On every Gateway-mode session that uses the pool's Secret. */
    void reloginRequired(AccountPool pool, String account, String message) {
        for (CollabSession cs : directory.sessionsUsing(pool.namespace(), pool.secretName(), pool.owner())) {
            CollabEvents.emit(client, COMPONENT, cs, EventReasons.RELOGIN_REQUIRED, message, true, clock.instant());
        }
    }

    /** At most one EgressDenied Event per session per minute: a refused host retried in a loop is one line. */
    void egressDenied(GatewayDirectory.Target target, String message) {
        long now = clock.millis();
        String key = target.namespace() + "/" + target.name();
        if (lastEgressEvent.size() > 10_000) {
            lastEgressEvent.clear(); // bounded: deleted sessions leave nothing behind for long
        }
        Long last = lastEgressEvent.get(key);
        if (last != null && now - last < 60_000) {
            return;
        }
        lastEgressEvent.put(key, now);
        directory
                .session(target.namespace(), target.name())
                .ifPresent(cs -> CollabEvents.emit(
                        client, COMPONENT, cs, EventReasons.EGRESS_DENIED, message, true, clock.instant()));
    }

    void budgetExhausted(GatewayDirectory.Target target, String message) {
        directory
                .session(target.namespace(), target.name())
                .ifPresent(cs -> CollabEvents.emit(
                        client, COMPONENT, cs, EventReasons.BUDGET_EXHAUSTED, message, true, clock.instant()));
    }
}
