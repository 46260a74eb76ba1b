package dev.collab.operator;

import dev.collab.api.AccountPoolState;
import dev.collab.api.AccountStatus;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionStatus;
import dev.collab.api.ConditionTypes;
import dev.collab.api.EventReasons;
import dev.collab.api.SessionPhase;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The last step of a reconcile: builds the status (pure {@link StatusBuilder}), announces phase transitions
 * (Ready, Failed) and patches the status subresource only when it changed.
 */
final class StatusRecorder {
    private final SessionCollaborators with;

    StatusRecorder(SessionCollaborators with) {
        this.with = with;
    }

    void record(Observation in, SessionPlan plan, PlanApplier.Applied applied, Context<CollabSession> context) {
        CollabSessionStatus status = StatusBuilder.build(new StatusBuilder.Observed(
                in.session(),
                in.problem(),
                in.credentials(),
                applied.access() == null ? null : applied.access().getMetadata().getName(),
                applied.claim(),
                applied.view(),
                plan.stop(),
                plan.lastActivity(),
                with.settings().startTimeout(),
                in.now(),
                accounts(in)));
        announceFailure(in, status, context);
        patchIfChanged(in.session(), status, context);
        announceReady(in, status, applied.view(), context);
    }

    /** Gateway mode: the pool state the credential gateway published on the session's credential Secret. */
    private List<AccountStatus> accounts(Observation in) {
        CollabSession session = in.session();
        if (in.problem() != null
                || in.credentials() == null
                || !in.credentials().ready()
                || !WorkerPodBuilder.gatewayMode(session.getSpec(), with.settings())) {
            return null;
        }
        Secret real = with.credentialSecrets()
                .get(new ResourceID(
                        session.getSpec().getCredentials().getSecretName(),
                        session.getMetadata().getNamespace()))
                .orElse(null);
        if (real == null) {
            return null;
        }
        // A count-only change of the annotation is no reason to write (the gateway writes the counts with its usage,
        // issue 30): while no state changed, the counts stay as this status has them; a changed state brings the
        // annotation's counts along.
        List<AccountStatus> previous =
                session.getStatus() == null ? null : session.getStatus().getAccounts();
        List<AccountStatus> fresh = AccountPoolState.effective(real, in.now());
        List<AccountStatus> statesOnly = AccountPoolState.countsFrom(fresh, previous);
        return statesOnly.equals(previous) ? statesOnly : fresh;
    }

    /**
     * Running: the Ready Event follows the status patch, which publishes the endpoint (a warm claim's latency is the
     * path to that patch; an Event is a record for people, not a signal clients wait on).
     */
    private void announceReady(
            Observation in, CollabSessionStatus status, PodView view, Context<CollabSession> context) {
        CollabSession session = in.session();
        SessionPhase before =
                session.getStatus() == null ? null : session.getStatus().getPhase();
        if (status.getPhase() == SessionPhase.Running && before != SessionPhase.Running) {
            SessionEvents.emit(
                    context.getClient(),
                    session,
                    EventReasons.READY,
                    "opencode is serving at " + status.getEndpoint(),
                    false,
                    in.now());
            if (view != null) {
                StartLatency.of(createdAt(session), view.createdAt(), in.now()).ifPresent(with.metrics()::started);
            }
        }
    }

    /** Failed: the Warning Event precedes the status, so whoever sees Failed finds its reason among the Events. */
    private void announceFailure(Observation in, CollabSessionStatus status, Context<CollabSession> context) {
        CollabSession session = in.session();
        SessionPhase before =
                session.getStatus() == null ? null : session.getStatus().getPhase();
        if (status.getPhase() == SessionPhase.Failed) {
            var ready = status.condition(ConditionTypes.READY);
            var previous =
                    session.getStatus() == null ? null : session.getStatus().condition(ConditionTypes.READY);
            if (before != SessionPhase.Failed
                    || previous == null
                    || !Objects.equals(previous.getReason(), ready.getReason())) {
                SessionEvents.emit(
                        context.getClient(),
                        session,
                        EventReasons.FAILED,
                        ready.getReason() + ": " + ready.getMessage(),
                        true,
                        in.now());
            }
        }
    }

    private static Instant createdAt(CollabSession session) {
        String t = session.getMetadata().getCreationTimestamp();
        try {
            return t == null ? null : Instant.parse(t);
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }

    private void patchIfChanged(CollabSession session, CollabSessionStatus status, Context<CollabSession> context) {
        if (status.equals(session.getStatus())) {
            return;
        }
        CollabSession copy = context.getClient().getKubernetesSerialization().clone(session);
        // The patch carries the resourceVersion it was computed at; on 409 JOSDK reads the session again and applies
        // this function to that newer version. status.usage (and the counts of status.accounts) are the gateway's
        // (DESIGN.md section 8): they always come from the version being patched, never from the one this status was
        // computed from, or the retry would put
        // back the usage the gateway had just added (measured on the real API server: 150 additions, 4 left).
        OwnStatusEchoes.patched(PrimaryUpdateAndCacheUtils.patchStatusAndCacheResource(copy, context, r -> {
            keepGatewayFields(status, r.getStatus());
            r.setStatus(status);
            return r;
        }));
        if (status.getPhase() == SessionPhase.Stopped) {
            with.capacity().settled(ResourceID.fromResource(session));
        }
    }

    /**
     * Sets the fields the gateway owns in the operator's status to what {@code current} (the version patched) holds:
     * status.usage and status.egress, and the counts of status.accounts where the gateway's are higher (they only
     * grow; a changed state brings the annotation's counts, which may be ahead of the gateway's last write).
     */
    static void keepGatewayFields(CollabSessionStatus operators, CollabSessionStatus current) {
        operators.setUsage(current == null ? null : current.getUsage());
        operators.setEgress(current == null ? null : current.getEgress());
        if (current != null) {
            operators.setAccounts(AccountPoolState.higherCounts(operators.getAccounts(), current.getAccounts()));
        }
    }
}
