package dev.collab.operator;

import dev.collab.api.CollabSession;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Duration;
import java.time.Instant;

/**
 * One reconcile of one session, top to bottom: observe (caches only) -> decide (pure, {@link SessionDecision},
 * asking {@link SessionProbes} for what only the network can tell) -> apply ({@link PlanApplier}: writes and
 * events) -> status ({@link StatusRecorder}: patched only when it changed) -> the writes a claim defers until its
 * endpoint is published.
 */
final class SessionReconciliation {
    private final SessionCollaborators with;
    private final SessionDecision decision;
    private final PlanApplier applier;
    private final StatusRecorder status;

    SessionReconciliation(SessionCollaborators with, DesiredSpecHashes specHashes) {
        this.with = with;
        this.decision = new SessionDecision(with.settings(), specHashes);
        this.applier = new PlanApplier(with);
        this.status = new StatusRecorder(with);
    }

    UpdateControl<CollabSession> reconcile(CollabSession session, Context<CollabSession> context) {
        Observation observed = observe(session, with.clock().instant());
        SessionPlan plan = decide(observed);
        PlanApplier.Applied applied;
        try {
            applied = applier.apply(observed, plan, context);
        } catch (ChildOwnership.Foreign found) {
            // A create met someone else's object under a child name (no child labels, so in no cache): decide again
            // as for any condition that stops the session; the object is reported, never used.
            observed = observed.withProblem(ChildOwnership.foreign(found.child(), session));
            plan = decide(observed);
            applied = applier.apply(observed, plan, context);
        }
        status.record(observed, plan, applied, context);
        applied.afterStatus().run();
        return requeue(plan, observed.now());
    }

    /** Reads the informer caches and the capacity ledger; writes nothing. */
    Observation observe(CollabSession session, Instant now) {
        SpecProblem problem = SpecValidator.validate(session, with.settings()).orElse(null);
        CredentialsState credentials = null;
        Secret gatewayHome = null;
        boolean fitsWarmGatewayWorker = false;
        if (problem == null) {
            String secretName = session.getSpec().getCredentials().getSecretName();
            Secret real = with.credentialSecrets()
                    .get(new ResourceID(secretName, session.getMetadata().getNamespace()))
                    .orElse(null);
            credentials =
                    CredentialsState.of(secretName, real, session.getSpec().getOwner());
            if (credentials.ready() && WorkerPodBuilder.gatewayMode(session.getSpec(), with.settings())) {
                GatewayHomeDependent.Desired placeholders = with.gatewayHome()
                        .desired(session, real, credentials, with.settings().gateway());
                credentials = placeholders.credentials();
                gatewayHome = placeholders.secret();
                // only a session with a pool to claim from asks (it parses the credential files)
                fitsWarmGatewayWorker = with.warmWorkers().pool(session).isPresent()
                        && WarmGatewayHome.fits(real, with.settings().gateway());
            }
        }
        WorkerLookup.Found worker = with.workers().find(session, with.workerPod());
        WorkerNames names = worker.names();
        Secret access = with.accessSecret().current(session, names);
        Pod pod = worker.pod();
        PersistentVolumeClaim claim = with.homeClaim().current(session, names);
        SpecProblem foreign = problem != null
                ? null
                : ChildOwnership.firstForeign(
                                session,
                                !names.pod().equals(session.getMetadata().getName()),
                                pod,
                                claim,
                                access)
                        .orElse(null);
        if (foreign != null) {
            // Someone else's object under a child name (issue 30): reported, never used or adopted.
            problem = foreign;
            credentials = null;
            gatewayHome = null;
            pod = pod != null && ChildOwnership.isSessions(pod, session) ? pod : null;
            claim = claim != null && ChildOwnership.isSessions(claim, session) ? claim : null;
            access = access != null && ChildOwnership.isSessions(access, session) ? access : null;
        }
        return new Observation(
                session,
                now,
                problem,
                credentials,
                access,
                claim,
                pod,
                pod == null ? null : PodView.of(pod, with.settings().port()),
                with.capacity().pendingStop(ResourceID.fromResource(session)),
                names,
                problem == null ? with.warmWorkers().pool(session).orElse(null) : null,
                worker.duplicates(),
                gatewayHome,
                fitsWarmGatewayWorker && gatewayHome != null);
    }

    /** Decides; runs each probe the decision asks for (at most one of each kind) and decides again. */
    SessionPlan decide(Observation observed) {
        ProbeFindings found = ProbeFindings.NONE;
        SessionPlan plan = decision.decide(observed, found);
        while (plan.probe() != null) {
            found = with.probes().run(plan.probe(), ResourceID.fromResource(observed.session()), observed.now(), found);
            plan = decision.decide(observed, found);
        }
        return plan;
    }

    private static UpdateControl<CollabSession> requeue(SessionPlan plan, Instant now) {
        UpdateControl<CollabSession> control = UpdateControl.noUpdate();
        if (plan.requeueAt() != null) {
            control.rescheduleAfter(
                    Math.max(100, Duration.between(now, plan.requeueAt()).toMillis()));
        }
        return control;
    }
}
