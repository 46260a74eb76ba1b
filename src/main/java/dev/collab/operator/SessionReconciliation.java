package dev.collab.operator;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionStatus;
import dev.collab.api.ConditionTypes;
import dev.collab.api.SessionPhase;
import dev.collab.api.StoppedReason;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.jboss.logging.Logger;

/** One reconcile of one session: observe caches, decide, apply children, then status and events. */
final class SessionReconciliation {
    private static final Logger LOG = Logger.getLogger(SessionReconciliation.class);
    private static final Duration UNRESPONSIVE_RETRY = Duration.ofSeconds(15);

    private final CollabSession session;
    private final Context<CollabSession> context;
    private final CollabSessionReconciler owner;
    private final KubernetesClient client;
    private final ResourceID id;
    private final Instant now;
    private Instant requeueAt;

    SessionReconciliation(CollabSession session, Context<CollabSession> context, CollabSessionReconciler owner) {
        this.session = session;
        this.context = context;
        this.owner = owner;
        this.client = context.getClient();
        this.id = ResourceID.fromResource(session);
        this.now = owner.now();
    }

    void execute() {
        OperatorSettings settings = owner.settings();
        SpecProblem problem = SpecValidator.validate(session.getSpec()).orElse(null);
        CredentialsState credentials = null;
        Secret access;
        PersistentVolumeClaim claim;
        if (problem == null) {
            String secretName = session.getSpec().getCredentials().getSecretName();
            Secret real = owner.secrets().get(new ResourceID(secretName, session.getMetadata().getNamespace())).orElse(null);
            credentials = CredentialsState.of(secretName, real);
            if (credentials.ready() && WorkerPodBuilder.gatewayMode(session.getSpec(), settings)) {
                credentials = owner.gatewayHome().reconcile(session, real, credentials, settings.gateway(), client);
            }
            access = owner.accessSecret().reconcile(session, client);
            claim = owner.homeClaim().reconcile(session, client);
        } else {
            access = owner.accessSecret().current(session);
            claim = owner.homeClaim().current(session);
        }
        Pod pod = owner.workerPod().current(session);
        if (pod != null) {
            owner.capacity().podSeen(id);
        }
        PodView view = pod == null ? null : PodView.of(pod, settings.port());

        Instant lastActivity = Lifecycle.lastActivity(session);
        Stop stop = Lifecycle.currentStop(session, lastActivity);
        if (stop == null) {
            stop = owner.capacity().pendingStop(id, lastActivity);
        } else {
            owner.capacity().settled(id);
        }
        boolean waking = stop == null && Lifecycle.isWake(session);

        if (stop == null && problem == null && view != null && !view.terminating()) {
            IdleCheck idle = checkIdle(view, access, lastActivity);
            stop = idle.stop();
            lastActivity = idle.lastActivity();
        }

        if (stop != null) {
            owner.workerPod().delete(pod, client);
            owner.unreachableProbes().remove(id);
            if (!CollabSessionReconciler.isStopped(session.getStatus(), stop.reason())) {
                announceStop(stop);
            }
            view = null;
        } else if (problem == null && credentials.ready()) {
            if (pod == null) {
                evictForCapacity(lastActivity);
            }
            Pod desired = WorkerPodBuilder.desired(session, settings, credentials);
            desired.getMetadata().getAnnotations().put(CollabLabels.CREATED_AT, now.toString());
            WorkerPodDependent.Outcome outcome = owner.workerPod().reconcile(pod, desired, client);
            switch (outcome.action()) {
                case CREATED -> {
                    view = PodView.of(outcome.pod(), settings.port());
                    event(waking ? "Woken" : "Started", waking
                            ? "activity after the stop: starting the session pod again"
                            : "created pod " + view.name(), false);
                }
                case DELETED_FOR_REPLACEMENT -> {
                    boolean rotated = !Objects.equals(view.credentialsHash(), credentials.hash());
                    event(rotated ? "CredentialsRotated" : "PodReplaced", rotated
                            ? "credential Secret changed: replacing the pod so seed-home writes the new credentials"
                            : "pod spec changed: replacing the pod", false);
                    view = view.terminatingCopy();
                }
                default -> {
                    if (view != null && view.ready() && !view.terminating()
                            && restartIfUnresponsive(outcome.pod(), view, access)) {
                        view = view.terminatingCopy();
                    }
                }
            }
        }
        if (view != null && !view.ready() && !view.terminating() && view.createdAt() != null) {
            requeue(view.createdAt().plus(settings.startTimeout()).plusSeconds(1));
        }

        CollabSessionStatus status = StatusBuilder.build(new StatusBuilder.Observed(session, problem, credentials,
                access != null, claim, view, stop, lastActivity, settings.startTimeout(), now));
        announceTransitions(status, view);
        patchStatusIfChanged(status);
    }

    UpdateControl<CollabSession> result() {
        UpdateControl<CollabSession> control = UpdateControl.noUpdate();
        if (requeueAt != null) {
            long millis = Math.max(100, Duration.between(now, requeueAt).toMillis());
            control.rescheduleAfter(millis);
        }
        return control;
    }

    private record IdleCheck(Stop stop, Instant lastActivity) {
    }

    /** Stops a session idle past its timeout, unless its opencode says an agent is busy. */
    private IdleCheck checkIdle(PodView view, Secret access, Instant lastActivity) {
        Duration timeout = SpecValidator.idleTimeout(session.getSpec(), owner.settings());
        Instant deadline = Lifecycle.idleDeadline(lastActivity, view, timeout);
        if (deadline == null) {
            return new IdleCheck(null, lastActivity);
        }
        if (now.isBefore(deadline)) {
            requeue(deadline);
            return new IdleCheck(null, lastActivity);
        }
        String password = CollabSessionReconciler.serverPassword(access);
        BusyProbe.Answer answer = view.endpoint() == null || password == null
                ? BusyProbe.Answer.UNREACHABLE
                : owner.busyProbe().check(view.endpoint(), password);
        switch (answer) {
            case BUSY -> {
                // A working agent counts as activity: recorded in status.lastActivityTime.
                owner.unreachableProbes().remove(id);
                requeue(now.plus(timeout));
                return new IdleCheck(null, now);
            }
            case IDLE -> {
                return new IdleCheck(new Stop(StoppedReason.IdleTimeout, now), lastActivity);
            }
            default -> {
                int tries = owner.unreachableProbes().merge(id, 1, Integer::sum);
                if (view.ready() && tries < CollabSessionReconciler.MAX_UNREACHABLE_PROBES) {
                    requeue(now.plus(CollabSessionReconciler.PROBE_RETRY));
                    return new IdleCheck(null, lastActivity);
                }
                return new IdleCheck(new Stop(StoppedReason.IdleTimeout, now), lastActivity);
            }
        }
    }

    /**
     * A pod that accepts connections (Ready by its tcpSocket probe) but whose opencode never answers HTTP (seen
     * with opencode 1.18.33 started on a reused HOME right after a replacement; a restart clears it) is restarted,
     * as an HTTP liveness probe would, once it has not answered for start-timeout. The probe carries the server
     * password, which a pod-spec probe could not. Each pod is checked until it answers once.
     */
    private boolean restartIfUnresponsive(Pod pod, PodView view, Secret access) {
        String uid = pod.getMetadata().getUid();
        String password = CollabSessionReconciler.serverPassword(access);
        if (uid == null || password == null || owner.answers().hasAnswered(id, uid)) {
            return false;
        }
        if (owner.busyProbe().check(view.endpoint(), password) != BusyProbe.Answer.UNREACHABLE) {
            owner.answers().answered(id, uid);
            return false;
        }
        Duration patience = owner.settings().startTimeout();
        Instant deadline = owner.answers().failingSince(id, uid, now).plus(patience);
        if (now.isBefore(deadline)) {
            Instant retry = now.plus(UNRESPONSIVE_RETRY);
            requeue(retry.isBefore(deadline) ? retry : deadline);
            return false;
        }
        owner.workerPod().delete(pod, client);
        owner.answers().forget(id);
        event("Unresponsive", "opencode accepted connections but answered no HTTP request for "
                + patience.toSeconds() + "s: restarting its pod", true);
        return true;
    }

    private void evictForCapacity(Instant lastActivity) {
        OperatorSettings settings = owner.settings();
        if (settings.maxRunning() <= 0 && settings.maxRunningPerOwner() <= 0) {
            return;
        }
        var victims = owner.capacity().admit(session, context.getPrimaryCache().list(),
                s -> owner.workerPod().current(s) != null,
                SessionReconciliation::lastActiveForCapacity,
                settings.maxRunning(), settings.maxRunningPerOwner(), now);
        for (CollabSession victim : victims) {
            markEvicted(victim);
        }
    }

    /** A running session's last activity, or its creation before any: what least-recently-active compares. */
    private static Instant lastActiveForCapacity(CollabSession s) {
        Instant activity = Lifecycle.lastActivity(s);
        return activity != null ? activity : Lifecycle.parseOrNull(s.getMetadata().getCreationTimestamp());
    }

    /** Records the capacity stop in the victim's status; its own reconcile then deletes its pod. */
    private void markEvicted(CollabSession victim) {
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
            LOG.debugf("could not record capacity eviction of %s: %s", victim.getMetadata().getName(), e.getMessage());
        }
        owner.metrics().evicted(StoppedReason.CapacityEvicted.name());
        SessionEvents.emit(client, victim, "CapacityEvicted",
                "stopped to make room for " + session.getMetadata().getName() + " under the running-session cap", false, now);
    }

    private void announceStop(Stop stop) {
        switch (stop.reason()) {
            case IdleTimeout -> {
                owner.metrics().evicted(StoppedReason.IdleTimeout.name());
                event("IdleStopped", "no activity within the idle timeout: pod stopped, HOME kept", false);
            }
            case Suspended -> event("Suspended", "spec.suspend is true: pod stopped, HOME kept", false);
            case CapacityEvicted -> {
                // Announced by the session whose start caused it.
            }
        }
    }

    private void announceTransitions(CollabSessionStatus status, PodView view) {
        SessionPhase before = session.getStatus() == null ? null : session.getStatus().getPhase();
        if (status.getPhase() == SessionPhase.Running && before != SessionPhase.Running) {
            event("Ready", "opencode is serving at " + status.getEndpoint(), false);
            if (view != null && view.createdAt() != null) {
                owner.metrics().started(Duration.between(view.createdAt(), now));
            }
        }
        if (status.getPhase() == SessionPhase.Failed) {
            var ready = status.condition(ConditionTypes.READY);
            var previous = session.getStatus() == null ? null
                    : session.getStatus().condition(ConditionTypes.READY);
            if (before != SessionPhase.Failed || previous == null || !Objects.equals(previous.getReason(), ready.getReason())) {
                event("Failed", ready.getReason() + ": " + ready.getMessage(), true);
            }
        }
    }

    private void patchStatusIfChanged(CollabSessionStatus status) {
        if (status.equals(session.getStatus())) {
            return;
        }
        CollabSession copy = client.getKubernetesSerialization().clone(session);
        PrimaryUpdateAndCacheUtils.patchStatusAndCacheResource(copy, context, r -> {
            r.setStatus(status);
            return r;
        });
        if (status.getPhase() == SessionPhase.Stopped) {
            owner.capacity().settled(id);
        }
    }

    private void event(String reason, String message, boolean warning) {
        SessionEvents.emit(client, session, reason, message, warning, now);
    }

    private void requeue(Instant at) {
        if (requeueAt == null || at.isBefore(requeueAt)) {
            requeueAt = at;
        }
    }
}
