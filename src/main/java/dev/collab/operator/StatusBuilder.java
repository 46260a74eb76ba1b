package dev.collab.operator;

import dev.collab.api.AccountStatus;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionStatus;
import dev.collab.api.ConditionReasons;
import dev.collab.api.ConditionTypes;
import dev.collab.api.SessionPhase;
import dev.collab.api.StoppedReason;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** Pure: what the operator observed and decided -> the session's status. */
public final class StatusBuilder {

    /** Everything the status is computed from. */
    public record Observed(
            CollabSession session,
            SpecProblem problem,
            CredentialsState credentials,
            String accessSecretName,
            PersistentVolumeClaim claim,
            PodView pod,
            Stop stop,
            Instant lastActivity,
            Duration startTimeout,
            Instant now,
            List<AccountStatus> accounts) {
        /** Without account pool state (Seeded mode). */
        public Observed(
                CollabSession session,
                SpecProblem problem,
                CredentialsState credentials,
                String accessSecretName,
                PersistentVolumeClaim claim,
                PodView pod,
                Stop stop,
                Instant lastActivity,
                Duration startTimeout,
                Instant now) {
            this(
                    session,
                    problem,
                    credentials,
                    accessSecretName,
                    claim,
                    pod,
                    stop,
                    lastActivity,
                    startTimeout,
                    now,
                    null);
        }
    }

    private StatusBuilder() {}

    public static CollabSessionStatus build(Observed in) {
        CollabSession session = in.session();
        CollabSessionStatus previous = session.getStatus() == null ? new CollabSessionStatus() : session.getStatus();
        long generation = session.getMetadata().getGeneration() == null
                ? 0
                : session.getMetadata().getGeneration();
        ConditionSet conditions = new ConditionSet(previous.getConditions(), generation, in.now());
        CollabSessionStatus status = new CollabSessionStatus();
        status.setObservedGeneration(generation);
        status.setAccessSecretName(in.accessSecretName());
        status.setLastActivityTime(
                in.lastActivity() == null ? null : in.lastActivity().toString());

        PodView pod = in.pod();
        if (pod != null) {
            status.setPodName(pod.name());
            status.setRestartCount(pod.restartCount());
            status.setStartedAt(pod.startedAt());
            status.setCredentialsHash(pod.credentialsHash());
        }

        CredentialsState creds = in.credentials();
        if (creds != null) {
            conditions.set(ConditionTypes.CREDENTIALS_READY, creds.ready(), creds.reason(), creds.message());
        }
        storageCondition(conditions, in.claim(), pod);
        accounts(status, conditions, in.accounts());

        Stop stop = in.stop();
        boolean idle = stop != null && stop.reason() == StoppedReason.IdleTimeout;
        if (stop != null) {
            status.setPhase(SessionPhase.Stopped);
            status.setStoppedReason(stop.reason());
            status.setStoppedAt(stop.since() == null ? null : stop.since().toString());
            conditions.set(ConditionTypes.READY, false, stop.reason().name(), stoppedMessage(stop.reason()));
        } else if (in.problem() != null) {
            status.setPhase(SessionPhase.Failed);
            conditions.set(
                    ConditionTypes.READY,
                    false,
                    in.problem().reason(),
                    in.problem().message());
        } else if (pod != null && pod.draining()) {
            // withdrawn first, replaced next (PodDrain): routers hold the session's requests meanwhile
            status.setPhase(SessionPhase.Starting);
            boolean rotated = creds != null && !java.util.Objects.equals(creds.hash(), pod.credentialsHash());
            conditions.set(
                    ConditionTypes.READY,
                    false,
                    ConditionReasons.POD_DRAINING,
                    "replacing the pod for " + (rotated ? "new credentials" : "a changed spec")
                            + ": endpoint withdrawn, waiting for the agent to finish");
        } else if (pod != null && !pod.terminating()) {
            podPhase(status, conditions, pod, in);
        } else if (creds != null && !creds.ready()) {
            status.setPhase(SessionPhase.Pending);
            conditions.set(ConditionTypes.READY, false, creds.reason(), creds.message());
        } else {
            status.setPhase(SessionPhase.Starting);
            conditions.set(
                    ConditionTypes.READY,
                    false,
                    pod == null ? ConditionReasons.POD_CREATING : ConditionReasons.POD_REPLACING,
                    pod == null ? "creating the session pod" : "waiting for the previous pod to terminate");
        }
        conditions.set(
                ConditionTypes.IDLE,
                idle,
                idle ? ConditionReasons.IDLE_TIMEOUT : ConditionReasons.ACTIVE,
                idle ? "stopped after no activity; the next request wakes it" : "");
        status.setConditions(conditions.build());
        // Written by the credential gateway; kept as is so the operator's status patch leaves it alone.
        status.setUsage(previous.getUsage());
        status.setEgress(previous.getEgress());
        return status;
    }

    /**
     * Gateway mode: the credential pool's accounts as the gateway published them on the Secret, and ReloginRequired
     * while any of them still carries a credential the provider refused (an upload clears it).
     */
    private static void accounts(CollabSessionStatus status, ConditionSet conditions, List<AccountStatus> accounts) {
        if (accounts == null) {
            return;
        }
        status.setAccounts(accounts.isEmpty() ? null : accounts);
        List<String> relogin = accounts.stream()
                .filter(a -> AccountStatus.RELOGIN_REQUIRED.equals(a.getState()))
                .map(AccountStatus::getName)
                .toList();
        conditions.set(
                ConditionTypes.RELOGIN_REQUIRED,
                !relogin.isEmpty(),
                relogin.isEmpty() ? ConditionReasons.ACCOUNTS_LOGGED_IN : ConditionReasons.REFRESH_TOKEN_REFUSED,
                relogin.isEmpty()
                        ? ""
                        : "the provider refused the refresh token of account(s) " + String.join(", ", relogin)
                                + ": upload new credentials for them");
    }

    private static void podPhase(CollabSessionStatus status, ConditionSet conditions, PodView pod, Observed in) {
        if (pod.ready()) {
            status.setPhase(SessionPhase.Running);
            status.setEndpoint(pod.endpoint());
            conditions.set(
                    ConditionTypes.READY,
                    true,
                    ConditionReasons.POD_READY,
                    "opencode is serving at the published endpoint");
        } else if (pod.failure() != null) {
            status.setPhase(SessionPhase.Failed);
            status.setMessage(pod.failure().message());
            conditions.set(
                    ConditionTypes.READY,
                    false,
                    pod.failure().reason(),
                    pod.failure().message());
        } else if (pod.createdAt() != null && in.now().isAfter(pod.createdAt().plus(in.startTimeout()))) {
            status.setPhase(SessionPhase.Starting);
            conditions.set(
                    ConditionTypes.READY,
                    false,
                    ConditionReasons.START_TIMEOUT,
                    "pod not Ready " + in.startTimeout().toSeconds() + "s after it was created");
        } else {
            status.setPhase(SessionPhase.Starting);
            conditions.set(
                    ConditionTypes.READY,
                    false,
                    ConditionReasons.POD_STARTING,
                    "waiting for opencode to accept connections");
        }
    }

    private static void storageCondition(ConditionSet conditions, PersistentVolumeClaim claim, PodView pod) {
        if (claim == null) {
            conditions.set(
                    ConditionTypes.STORAGE_READY,
                    false,
                    ConditionReasons.CLAIM_MISSING,
                    "the HOME volume claim does not exist yet");
            return;
        }
        String phase = claim.getStatus() == null ? null : claim.getStatus().getPhase();
        if (ConditionReasons.BOUND.equals(phase) || (pod != null && pod.ready())) {
            // A Ready pod has its volume mounted, whatever the claim's reported phase lags behind.
            conditions.set(ConditionTypes.STORAGE_READY, true, ConditionReasons.BOUND, "HOME volume claim is bound");
        } else if ("Lost".equals(phase)) {
            conditions.set(
                    ConditionTypes.STORAGE_READY,
                    false,
                    ConditionReasons.CLAIM_LOST,
                    "the HOME volume claim lost its volume");
        } else {
            // Pending is normal on a WaitForFirstConsumer class until the pod is scheduled.
            conditions.set(
                    ConditionTypes.STORAGE_READY,
                    true,
                    ConditionReasons.WAIT_FOR_FIRST_CONSUMER,
                    "HOME volume claim is pending; it binds when the pod is scheduled");
        }
    }

    private static String stoppedMessage(StoppedReason reason) {
        return switch (reason) {
            case Suspended -> "spec.suspend is true: no pod runs, HOME is kept";
            case IdleTimeout -> "stopped after its idle timeout; the next request wakes it";
            case CapacityEvicted -> "stopped to make room under the running-session cap; the next request wakes it";
        };
    }
}
