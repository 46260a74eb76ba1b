package dev.collab.operator;

import dev.collab.api.CollabSession;
import dev.collab.api.StoppedReason;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.event.ResourceID;

/** Carries out a {@link SessionPlan}: creates and deletes children, updates the operator's memory, emits events. */
final class PlanApplier {
    /** The children as they are after the writes, for status. */
    record Applied(Secret access, PersistentVolumeClaim claim, PodView view) {}

    private final SessionCollaborators with;
    private final CapacityEvictions evictions;

    PlanApplier(SessionCollaborators with) {
        this.with = with;
        this.evictions = new CapacityEvictions(with);
    }

    Applied apply(Observation in, SessionPlan plan, Context<CollabSession> context) {
        CollabSession session = in.session();
        KubernetesClient client = context.getClient();
        ResourceID id = ResourceID.fromResource(session);
        Secret access = plan.ensureAccessSecret() ? with.accessSecret().create(session, client) : in.access();
        if (in.gatewayHome() != null) {
            with.gatewayHome().ensure(in.gatewayHome(), client); // before the pod that mounts it
        }
        PersistentVolumeClaim claim = in.claim();
        if (plan.createClaim() != null) {
            claim = with.homeClaim().create(plan.createClaim(), client);
        } else if (plan.claimOwned() != null) {
            claim = with.homeClaim().setOwned(session, in.claim(), plan.claimOwned(), client);
        }

        CapacityLedger capacity = with.capacity();
        if (in.pod() != null) {
            capacity.podSeen(id);
        }
        if (plan.settleCapacity()) {
            capacity.settled(id);
        }
        if (plan.pendingStopWoken() != null) {
            capacity.woken(id, plan.pendingStopWoken());
        }

        PodView view = in.view();
        boolean announce = true;
        switch (plan.podAction()) {
            case DELETE -> {
                with.workerPod().delete(in.pod(), client);
                with.probes().stopped(id);
                if (plan.event() != null && plan.stop().reason() == StoppedReason.IdleTimeout) {
                    with.metrics().evicted(StoppedReason.IdleTimeout.name());
                }
                view = null;
            }
            case CREATE -> {
                if (plan.admitUnderCaps()) {
                    evictions.admit(session, context, in.now());
                }
                Pod created = with.workerPod().create(plan.desiredPod(), client);
                view = created == null
                        ? null
                        : PodView.of(created, with.settings().port());
                announce = created != null;
            }
            case REPLACE -> {
                with.workerPod().delete(in.pod(), client);
                view = view.terminatingCopy();
            }
            case RESTART_UNRESPONSIVE -> {
                with.workerPod().delete(in.pod(), client);
                with.probes().restarted(id);
                view = view.terminatingCopy();
            }
            case KEEP -> {}
        }
        if (announce && plan.event() != null) {
            SessionEvents.emit(
                    client,
                    session,
                    plan.event().reason(),
                    plan.event().message(),
                    plan.event().warning(),
                    in.now());
        }
        return new Applied(access, claim, view);
    }
}
