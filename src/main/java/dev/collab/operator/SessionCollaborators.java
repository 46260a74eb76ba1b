package dev.collab.operator;

import dev.collab.api.CollabSession;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Clock;

/**
 * What a reconcile works with, built once when the event sources exist and passed to each step: nothing calls
 * back into {@link CollabSessionReconciler}.
 *
 * @param credentialSecrets the namespace's Secrets opted in for sessions (label collab.dev/credentials=true)
 * @param gatewayHome the placeholder Secrets of Gateway-mode sessions
 * @param probes  every network probe to opencode, with its memory between reconciles
 * @param capacity the leader's memory of capacity admissions and evictions not yet in the caches
 * @param workers  finds a session's worker by label (a claimed warm worker keeps its own names)
 * @param warmWorkers claims warm workers of CollabSessionPools for new sessions
 * @param delivery installs a session's credentials into a claimed worker's running opencode
 */
record SessionCollaborators(
        OperatorSettings settings,
        Clock clock,
        InformerEventSource<Secret, CollabSession> credentialSecrets,
        AccessSecretDependent accessSecret,
        GatewayHomeDependent gatewayHome,
        HomeClaimDependent homeClaim,
        WorkerPodDependent workerPod,
        SessionProbes probes,
        CapacityLedger capacity,
        OperatorMetrics metrics,
        WorkerLookup workers,
        WarmWorkerClaim warmWorkers,
        CredentialDelivery delivery) {}
