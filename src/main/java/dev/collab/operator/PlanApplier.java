package dev.collab.operator;

import dev.collab.api.CollabSession;
import dev.collab.api.StoppedReason;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Duration;

/** Carries out a {@link SessionPlan}: creates and deletes children, updates the operator's memory, emits events. */
final class PlanApplier {
    /**
     * The children as they are after the writes, for status, and the writes that may wait until the status is
     * patched ({@code afterStatus}: a claim's adoptions and Event, off the path to the published endpoint).
     */
    record Applied(Secret access, PersistentVolumeClaim claim, PodView view, Runnable afterStatus) {
        Applied(Secret access, PersistentVolumeClaim claim, PodView view) {
            this(access, claim, view, () -> {});
        }
    }

    private final SessionCollaborators with;
    private final CapacityEvictions evictions;
    private final CredentialsHandover handover;

    PlanApplier(SessionCollaborators with) {
        this.with = with;
        this.evictions = new CapacityEvictions(with);
        this.handover = new CredentialsHandover(with);
    }

    Applied apply(Observation in, SessionPlan plan, Context<CollabSession> context) {
        CollabSession session = in.session();
        KubernetesClient client = context.getClient();
        ResourceID id = ResourceID.fromResource(session);
        releaseDuplicates(in, plan, client);
        if (plan.claimFrom() != null) {
            Applied claimed = claimWarmWorker(in, plan, context);
            if (claimed != null) {
                return claimed;
            }
        }
        Secret access =
                plan.ensureAccessSecret() ? with.accessSecret().create(session, in.names(), client) : in.access();
        if (plan.adoptAccess()) {
            access = with.accessSecret().adopt(session, in.access(), client);
        }
        if (in.gatewayHome() != null) {
            with.gatewayHome().ensure(session, in.gatewayHome(), client); // before the pod that mounts it
        }
        PersistentVolumeClaim claim = in.claim();
        if (plan.createClaim() != null) {
            claim = with.homeClaim().create(session, plan.createClaim(), client);
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
                Pod created = with.workerPod().create(session, plan.desiredPod(), client);
                view = created == null
                        ? null
                        : PodView.of(created, with.settings().port());
                announce = created != null;
            }
            case REPLACE -> {
                with.workerPod().delete(in.pod(), client);
                view = view.terminatingCopy();
            }
            case DRAIN -> view = view.drainingCopy();
            case RESTART_UNRESPONSIVE -> {
                with.workerPod().delete(in.pod(), client);
                with.probes().restarted(id);
                view = view.terminatingCopy();
            }
            case HANDOVER ->
                view = handover.deliver(session, in.pod(), view, access, client, in.now()) ? view : view.notReadyCopy();
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

    /**
     * Claims a warm worker of the plan's pool ({@link WarmWorkerClaim}), adopts its HOME claim and access Secret and,
     * in Seeded mode, hands the credentials over (a Gateway worker needs nothing: it is published at once); null
     * when no worker could be claimed (the caller then creates the session's own). A Gateway worker's placeholder
     * home stays the pool's: the pool removes it once the worker's pod is gone, and a pod started again for the
     * session mounts the session's own.
     */
    private Applied claimWarmWorker(Observation in, SessionPlan plan, Context<CollabSession> context) {
        CollabSession session = in.session();
        KubernetesClient client = context.getClient();
        String pool = plan.claimFrom().getMetadata().getName();
        if (plan.admitUnderCaps()) {
            evictions.admit(session, context, in.now());
        }
        long claimStarted = System.nanoTime();
        for (Pod candidate : with.warmWorkers().candidates(session, plan.claimFrom())) {
            WorkerNames names = WorkerNames.of(candidate.getMetadata().getName());
            Pod desired = WorkerPodBuilder.desired(session, with.settings(), in.credentials(), names);
            Pod pod = with.warmWorkers().claim(session, candidate, desired, client, in.now());
            if (pod == null) {
                continue;
            }
            Secret access = with.accessSecret().current(session, names);
            PersistentVolumeClaim claim = with.homeClaim().current(session, names);
            if (ChildMetadata.shardOf(session) != null) {
                // Sharded: the pool's children carry no shard label until adopted, so no cache of this shard holds
                // them; read them (two GETs per claim).
                String ns = session.getMetadata().getNamespace();
                access = access != null
                        ? access
                        : client.secrets()
                                .inNamespace(ns)
                                .withName(names.accessSecret())
                                .get();
                claim = claim != null
                        ? claim
                        : client.persistentVolumeClaims()
                                .inNamespace(ns)
                                .withName(names.homeClaim())
                                .get();
            }
            // The warm pool's rule: adopt only what the pool made for this worker (or this session already owns).
            for (HasMetadata child : new HasMetadata[] {access, claim}) {
                if (child != null && !ChildOwnership.usable(child, session, true)) {
                    throw new ChildOwnership.Foreign(child);
                }
            }
            PodView view = PodView.of(pod, with.settings().port());
            boolean delivered = access != null
                    && claim != null
                    && (!CredentialsHandover.isPending(pod)
                            || handover.deliver(session, pod, view, access, client, in.now()));
            // Publishing needs only the claimed pod and the access Secret's name (the router reads the worker's token
            // by that name already: its Secret has the access role since the pool made it). Adopting the children
            // and the Event follow the status patch; if they fail, the next reconcile adopts (plan.adoptAccess,
            // plan.claimOwned) and the worker stays the session's through the pod's owner and label.
            Secret unadoptedAccess = access;
            PersistentVolumeClaim unadoptedClaim = claim;
            Runnable afterStatus = () -> {
                if (unadoptedAccess != null) {
                    with.accessSecret().adopt(session, unadoptedAccess, client);
                }
                if (unadoptedClaim != null) {
                    with.homeClaim().setOwned(session, unadoptedClaim, HomeClaimBuilder.isOwned(session), client);
                }
                SessionEvents.emit(
                        client,
                        session,
                        "Claimed",
                        "claimed warm worker " + names.pod() + " of pool " + pool,
                        false,
                        in.now());
            };
            with.metrics().claimed(Duration.ofNanos(System.nanoTime() - claimStarted));
            return new Applied(access, claim, delivered ? view : view.notReadyCopy(), afterStatus);
        }
        SessionEvents.emit(
                client,
                session,
                "PoolEmpty",
                "no Ready warm worker in pool " + pool + ": starting a worker of its own",
                false,
                in.now());
        return null;
    }

    /**
     * Deletes the workers that operators overlapping in a failover started or claimed for this session besides the
     * one it keeps (each acted on a cache without the other's worker): pod, HOME claim, access Secret. None was ever
     * published, and a fresh session has no data yet.
     */
    private void releaseDuplicates(Observation in, SessionPlan plan, KubernetesClient client) {
        String ns = in.session().getMetadata().getNamespace();
        for (Pod extra : plan.releaseDuplicates()) {
            WorkerNames dup = WorkerNames.of(extra.getMetadata().getName());
            with.workerPod().delete(extra, client);
            try {
                client.persistentVolumeClaims()
                        .inNamespace(ns)
                        .withName(dup.homeClaim())
                        .delete();
                client.secrets().inNamespace(ns).withName(dup.accessSecret()).delete();
            } catch (KubernetesClientException e) {
                // the next reconcile sees what is left
            }
            SessionEvents.emit(
                    client,
                    in.session(),
                    "DuplicateWorkerReleased",
                    "a second worker " + dup.pod()
                            + " was started or claimed for this session (operators overlapping in a failover): deleted, the"
                            + " session keeps " + in.names().pod(),
                    true,
                    in.now());
        }
    }
}
