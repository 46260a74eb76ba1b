package dev.collab.operator;

import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionStatus;
import dev.collab.api.EventReasons;
import dev.collab.api.SessionPhase;
import dev.collab.api.StoppedReason;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import java.time.Instant;
import org.jboss.logging.Logger;

/**
 * Admission of a starting session under the running-session caps. The victims are chosen by the pure
 * {@link CapacityGate} inside the {@link CapacityLedger}'s serialised admission, not in the decision: a
 * decision from a snapshot would let two sessions starting at once both take the last slot.
 */
final class CapacityEvictions {
    private static final Logger LOG = Logger.getLogger(CapacityEvictions.class);

    private final SessionCollaborators with;

    CapacityEvictions(SessionCollaborators with) {
        this.with = with;
    }

    void admit(CollabSession starting, Context<CollabSession> context, Instant now) {
        OperatorSettings settings = with.settings();
        var victims = with.capacity()
                .admit(
                        starting,
                        context.getPrimaryCache().list(),
                        s -> with.workerPod().current(s, with.workers().names(s)) != null,
                        CapacityEvictions::lastActive,
                        settings.maxRunning(),
                        settings.maxRunningPerOwner(),
                        now);
        for (CollabSession victim : victims) {
            markEvicted(context.getClient(), starting, victim, now);
        }
    }

    /** A running session's last activity, or its creation before any: what least-recently-active compares. */
    private static Instant lastActive(CollabSession s) {
        Instant activity = Lifecycle.lastActivity(s);
        return activity != null
                ? activity
                : Lifecycle.parseOrNull(s.getMetadata().getCreationTimestamp());
    }

    /** Records the capacity stop in the victim's status; its own reconcile then deletes its pod. */
    private void markEvicted(KubernetesClient client, CollabSession starting, CollabSession victim, Instant now) {
        CollabSession copy = client.getKubernetesSerialization().clone(victim);
        try {
            client.resource(copy).editStatus(r -> {
                CollabSessionStatus st = r.getStatus() == null ? new CollabSessionStatus() : r.getStatus();
                st.setPhase(SessionPhase.Stopped);
                st.setStoppedReason(StoppedReason.CapacityEvicted);
                st.setStoppedAt(now.toString());
                st.setEndpoint(null);
                r.setStatus(st);
                return r;
            });
        } catch (KubernetesClientException e) {
            // The ledger keeps the decision; the victim's next reconcile applies it.
            LOG.debugf(
                    "could not record capacity eviction of %s: %s",
                    victim.getMetadata().getName(), e.getMessage());
        }
        with.metrics().evicted(StoppedReason.CapacityEvicted.name());
        SessionEvents.emit(
                client,
                victim,
                EventReasons.CAPACITY_EVICTED,
                "stopped to make room for " + starting.getMetadata().getName() + " under the running-session cap",
                false,
                now);
    }
}
