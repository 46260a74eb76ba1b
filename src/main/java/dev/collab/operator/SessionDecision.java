package dev.collab.operator;

import dev.collab.api.AccessSecrets;
import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionPool;
import dev.collab.api.EventReasons;
import dev.collab.api.SessionStates;
import dev.collab.api.StoppedReason;
import dev.collab.operator.SessionPlan.Event;
import dev.collab.operator.SessionPlan.PodAction;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Pure: an {@link Observation} and the {@link ProbeFindings} so far -> a {@link SessionPlan}. No client, no
 * clock, no network: when a decision needs a probe it has not got, the plan asks for that probe and the caller
 * decides again with its finding. The rules themselves are in {@link Lifecycle} (docs/DESIGN.md section 4).
 */
final class SessionDecision {
    /** An opencode that does not answer the busy check is stopped after this many tries. */
    static final int MAX_UNREACHABLE_PROBES = 3;

    static final Duration PROBE_RETRY = Duration.ofSeconds(10);

    private final OperatorSettings settings;
    private final DesiredSpecHashes specHashes;

    SessionDecision(OperatorSettings settings) {
        this(settings, new DesiredSpecHashes(settings));
    }

    SessionDecision(OperatorSettings settings, DesiredSpecHashes specHashes) {
        this.settings = settings;
        this.specHashes = specHashes;
    }

    SessionPlan decide(Observation in, ProbeFindings found) {
        CollabSession session = in.session();
        Instant now = in.now();
        Draft plan = new Draft();
        boolean runnable = in.problem() == null;
        // A fresh session that may claim a warm worker creates nothing until its credentials are known (docs/DESIGN.md
        // 9).
        boolean awaitPool =
                runnable && in.fresh() && in.pool() != null && !in.credentials().ready();
        if (runnable && !awaitPool) {
            plan.ensureAccessSecret = in.access() == null;
            // A claimed warm worker's children carry its own names; they become the session's once labelled with it.
            boolean claimedWorker =
                    !in.names().pod().equals(session.getMetadata().getName());
            plan.adoptAccess = claimedWorker
                    && in.access() != null
                    && !ChildMetadata.isLabelledFor(in.access().getMetadata(), session);
            if (in.claim() == null) {
                plan.createClaim = HomeClaimBuilder.desired(session, settings);
                plan.createClaim.getMetadata().setName(in.names().homeClaim());
            } else if (ChildMetadata.isOwnedBy(in.claim().getMetadata(), session) != HomeClaimBuilder.isOwned(session)
                    || (claimedWorker && !ChildMetadata.isLabelledFor(in.claim().getMetadata(), session))
                    || !ChildOwnership.isMarkedFor(in.claim().getMetadata(), session)) {
                // (unmarked: a claim of before issue 30, or a warm worker's: gets the session-uid annotation)
                plan.claimOwned = HomeClaimBuilder.isOwned(session);
            }
        }
        plan.releaseDuplicates = in.duplicates();

        Instant lastActivity = Lifecycle.lastActivity(session);
        Stop stop = Lifecycle.currentStop(session, lastActivity);
        if (stop != null) {
            plan.settleCapacity = true;
        } else if (in.pendingStop() != null) {
            if (lastActivity != null && lastActivity.isAfter(in.pendingStop().since())) {
                plan.pendingStopWoken = in.pendingStop();
            } else {
                stop = in.pendingStop();
            }
        }
        boolean waking = stop == null && Lifecycle.isWake(session);

        PodView view = in.view();
        boolean busyLimitReached = false;
        if (stop == null && runnable && view != null && !view.terminating()) {
            Duration timeout = SpecValidator.idleTimeout(session.getSpec(), settings);
            Instant deadline = Lifecycle.idleDeadline(lastActivity, view, timeout);
            if (deadline != null && now.isBefore(deadline)) {
                plan.requeue(deadline);
            } else if (deadline != null) {
                if (found.busy() == null) {
                    return SessionPlan.probeFirst(new ProbeFindings.Request(
                            ProbeFindings.Request.Kind.BUSY,
                            view.endpoint(),
                            AccessSecrets.serverPassword(in.access()),
                            null));
                }
                if (found.busy().pending()) {
                    // asked, no answer yet: keep the pod; the answer wakes this session, the retry is a fallback
                    plan.requeue(now.plus(PROBE_RETRY));
                } else {
                    switch (found.busy().answer()) {
                        case BUSY -> {
                            Instant limit = Lifecycle.busyLimit(session, view, timeout, settings.busyMax());
                            if (limit != null && !now.isBefore(limit)) {
                                stop = new Stop(StoppedReason.IdleTimeout, now);
                                busyLimitReached = true;
                            } else {
                                // A working agent counts as activity: recorded in status.lastActivityTime.
                                Instant next = now.plus(timeout);
                                plan.requeue(limit != null && limit.isBefore(next) ? limit : next);
                                lastActivity = now;
                            }
                        }
                        case IDLE -> stop = new Stop(StoppedReason.IdleTimeout, now);
                        case UNREACHABLE -> {
                            if (view.ready() && found.busy().unreachableInARow() < MAX_UNREACHABLE_PROBES) {
                                plan.requeue(now.plus(PROBE_RETRY));
                            } else {
                                stop = new Stop(StoppedReason.IdleTimeout, now);
                            }
                        }
                    }
                }
            }
        }

        if (stop != null) {
            plan.podAction = PodAction.DELETE;
            plan.event = busyLimitReached
                    ? new Event(
                            EventReasons.BUSY_LIMIT_REACHED,
                            "opencode has reported a busy agent for "
                                    + settings.busyMax().toMinutes()
                                    + "m past the idle timeout without client activity: pod stopped "
                                    + "anyway, HOME kept",
                            true)
                    : SessionStates.isStoppedFor(session.getStatus(), stop.reason()) ? null : stop.event();
            view = null;
        } else if (runnable && in.credentials().ready()) {
            if (in.pod() == null) {
                Pod desired = specHashes.pod(session, in.credentials(), in.names());
                desired.getMetadata().getAnnotations().put(CollabLabels.CREATED_AT, now.toString());
                plan.desiredPod = desired;
                plan.podAction = PodAction.CREATE;
                plan.admitUnderCaps = settings.maxRunning() > 0 || settings.maxRunningPerOwner() > 0;
                plan.event = waking
                        ? new Event(
                                EventReasons.WOKEN, "activity after the stop: starting the session pod again", false)
                        : new Event(
                                EventReasons.STARTED,
                                "created pod " + desired.getMetadata().getName(),
                                false);
                view = PodView.of(desired, settings.port());
                if (!waking
                        && in.fresh()
                        && in.pool() != null
                        && PoolMatch.mismatch(
                                        session, in.pool(), in.credentials(), in.fitsWarmGatewayWorker(), settings)
                                .isEmpty()) {
                    plan.claimFrom = in.pool();
                    plan.requeue(now.plus(CredentialsHandover.RETRY));
                }
            } else if (view.terminating()) {
                plan.podAction = PodAction.KEEP;
            } else if (!Objects.equals(view.specHash(), specHashes.of(session, in.credentials(), in.names()))) {
                PodDrain.Step step = PodDrain.next(
                        session.getStatus(),
                        view,
                        AccessSecrets.serverPassword(in.access()),
                        found.busy(),
                        settings.drainMax(),
                        now);
                if (step.probe() != null) {
                    return SessionPlan.probeFirst(step.probe());
                }
                boolean rotated =
                        !Objects.equals(view.credentialsHash(), in.credentials().hash());
                plan.event = PodDrain.event(step.action(), rotated, settings.drainMax());
                plan.podAction = step.replaces() ? PodAction.REPLACE : PodAction.DRAIN;
                if (step.requeueAt() != null) {
                    plan.requeue(step.requeueAt());
                }
                view = step.replaces() ? view.terminatingCopy() : view.drainingCopy();
            } else if (CredentialsHandover.isPending(in.pod())) {
                Instant since = view.createdAt() == null ? now : view.createdAt();
                if (!now.isBefore(since.plus(settings.startTimeout()))) {
                    plan.podAction = PodAction.REPLACE;
                    plan.event = new Event(
                            "CredentialsNotDelivered",
                            "the claimed warm worker did not take the credentials"
                                    + " within " + settings.startTimeout().toSeconds()
                                    + "s: starting its pod again, seeded from the"
                                    + " credential Secret",
                            true);
                    view = view.terminatingCopy();
                } else {
                    plan.podAction = view.ready() ? PodAction.HANDOVER : PodAction.KEEP;
                    plan.requeue(now.plus(CredentialsHandover.RETRY));
                    view = view.notReadyCopy();
                }
            } else if (view.ready()) {
                String uid = in.pod().getMetadata().getUid();
                String password = AccessSecrets.serverPassword(in.access());
                if (uid != null && password != null) {
                    if (found.answer() == null) {
                        return SessionPlan.probeFirst(new ProbeFindings.Request(
                                ProbeFindings.Request.Kind.ANSWER, view.endpoint(), password, uid));
                    }
                    if (unresponsive(found.answer(), plan)) {
                        plan.podAction = PodAction.RESTART_UNRESPONSIVE;
                        plan.event = new Event(
                                EventReasons.UNRESPONSIVE,
                                "opencode was Ready but answered none of "
                                        + AnswerWatch.TRIES + " authenticated requests " + AnswerWatch.RETRY.toSeconds()
                                        + "s apart: restarting its pod",
                                true);
                        view = view.terminatingCopy();
                    }
                }
            }
        }
        if (view != null && !view.ready() && !view.terminating() && !view.draining() && view.createdAt() != null) {
            // Look again when the start timeout passes, to report it. Once it has passed, a pod that never starts
            // (unschedulable, image pull) is watched through its events only: a deadline in the past would requeue
            // every 100 ms, forever (seen on the real API server with pods left Pending).
            Instant startDeadline =
                    view.createdAt().plus(settings.startTimeout()).plusSeconds(1);
            if (startDeadline.isAfter(now)) {
                plan.requeue(startDeadline);
            }
        }
        plan.stop = stop;
        plan.lastActivity = lastActivity;
        return plan.build();
    }

    /**
     * A Ready pod (its handler answered the readiness probe) whose opencode then answers no authenticated request
     * is hung: it is restarted after {@link AnswerWatch#TRIES} unanswered requests {@link AnswerWatch#RETRY} apart
     * (about 10 s after Ready, plus the probe timeout), as an HTTP liveness probe would. The request is
     * {@code GET /global/health}, which opencode answers without loading the project instance, so a slow plugin
     * install (that holds the first session request) does not count as a hang. It carries the server password,
     * which a pod-spec probe could not.
     */
    private static boolean unresponsive(ProbeFindings.Answer answer, Draft plan) {
        if (answer.answered()) {
            return false;
        }
        if (answer.unansweredInARow() >= AnswerWatch.TRIES) {
            return true;
        }
        plan.requeue(answer.nextTry());
        return false;
    }

    /** The plan while it is being decided. */
    private static final class Draft {
        boolean ensureAccessSecret;
        PersistentVolumeClaim createClaim;
        Boolean claimOwned;
        boolean admitUnderCaps;
        PodAction podAction = PodAction.KEEP;
        Pod desiredPod;
        Event event;
        Stop stop;
        Instant lastActivity;
        boolean settleCapacity;
        Stop pendingStopWoken;
        Instant requeueAt;
        CollabSessionPool claimFrom;
        boolean adoptAccess;
        List<Pod> releaseDuplicates = List.of();

        void requeue(Instant at) {
            if (requeueAt == null || at.isBefore(requeueAt)) {
                requeueAt = at;
            }
        }

        SessionPlan build() {
            return new SessionPlan(
                    null,
                    ensureAccessSecret,
                    createClaim,
                    claimOwned,
                    admitUnderCaps,
                    podAction,
                    desiredPod,
                    event,
                    stop,
                    lastActivity,
                    settleCapacity,
                    pendingStopWoken,
                    requeueAt,
                    claimFrom,
                    adoptAccess,
                    releaseDuplicates);
        }
    }
}
