package dev.collab.operator;

import dev.collab.api.AccessSecrets;
import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSessionPool;
import dev.collab.api.CollabSessionPoolStatus;
import dev.collab.api.CredentialsMode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.jboss.logging.Logger;

/** One reconcile of one pool: observe its workers in the caches, decide ({@link PoolPlan}), apply, report. */
final class PoolReconciliation {
    private static final Logger LOG = Logger.getLogger(PoolReconciliation.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String SUFFIX_CHARS = "bcdfghjklmnpqrstvwxz2456789";
    /** Starting workers are looked at again this often, to replace one that never becomes ready. */
    private static final Duration STARTING_RECHECK = Duration.ofSeconds(10);

    private final CollabSessionPool pool;
    private final KubernetesClient client;
    private final OperatorSettings settings;
    private final Instant now;
    private final InformerEventSource<Pod, CollabSessionPool> pods;
    private final InformerEventSource<PersistentVolumeClaim, CollabSessionPool> claims;
    private final InformerEventSource<Secret, CollabSessionPool> secrets;
    private final GatewayKeySource gatewayKey;
    private final WorkerWarmUp warmUp;
    private final Map<String, Pod> warmPods = new HashMap<>();
    private final Map<String, PersistentVolumeClaim> warmClaims = new HashMap<>();
    private final Map<String, Secret> warmSecrets = new HashMap<>();
    private final Map<String, Secret> warmGatewayHomes = new HashMap<>();
    private int claimed;
    /** Gateway pools: the gateway key the workers' placeholders are made with (null when unavailable). */
    private byte[] key;

    PoolReconciliation(
            CollabSessionPool pool,
            Context<CollabSessionPool> context,
            OperatorSettings settings,
            Instant now,
            InformerEventSource<Pod, CollabSessionPool> pods,
            InformerEventSource<PersistentVolumeClaim, CollabSessionPool> claims,
            InformerEventSource<Secret, CollabSessionPool> secrets,
            GatewayKeySource gatewayKey,
            WorkerWarmUp warmUp) {
        this.pool = pool;
        this.client = context.getClient();
        this.settings = settings;
        this.now = now;
        this.pods = pods;
        this.claims = claims;
        this.secrets = secrets;
        this.gatewayKey = gatewayKey;
        this.warmUp = warmUp;
    }

    UpdateControl<CollabSessionPool> execute() {
        boolean gateway = PoolWorkerBuilder.mode(pool.getSpec().getTemplate(), settings) == CredentialsMode.Gateway;
        key = gateway ? gatewayKey.get().orElse(null) : null;
        List<PoolPlan.Worker> workers = observe();
        PoolPlan.Decision decision = PoolPlan.decide(pool.getSpec().getReplicas(), workers);
        decision.remove().forEach(this::remove);
        if (gateway) {
            warmReadyWorkers();
        }
        if (gateway && key == null && decision.create() > 0) {
            LOG.warnf(
                    "pool %s: Gateway-mode workers need the gateway key Secret %s, which the operator can neither "
                            + "read nor create: no worker started",
                    pool.getMetadata().getName(), settings.gateway().keySecret());
        } else {
            for (int i = 0; i < decision.create(); i++) {
                createWorker(WorkerNames.of(newWorkerName()));
            }
        }
        CollabSessionPoolStatus status = status(decision);
        UpdateControl<CollabSessionPool> control;
        if (status.equals(pool.getStatus())) {
            control = UpdateControl.noUpdate();
        } else {
            pool.setStatus(status);
            control = UpdateControl.patchStatus(pool);
        }
        boolean starting =
                workers.stream().anyMatch(w -> w.pod() == PoolPlan.PodState.STARTING) || decision.create() > 0;
        return starting ? control.rescheduleAfter(STARTING_RECHECK) : control;
    }

    /** The pool's unclaimed workers by name; a claimed pod's claim and Secret (not yet adopted) are not warm. */
    private List<PoolPlan.Worker> observe() {
        Set<String> claimedNames = new HashSet<>();
        for (Pod pod : pods.getSecondaryResources(pool)) {
            if (isClaimed(pod)) {
                claimed++;
                claimedNames.add(pod.getMetadata().getName());
            } else {
                warmPods.put(pod.getMetadata().getName(), pod);
            }
        }
        for (PersistentVolumeClaim c : claims.getSecondaryResources(pool)) {
            WorkerNames names = WorkerNames.fromHomeClaim(c.getMetadata().getName());
            if (names != null && !isClaimed(c) && !claimedNames.contains(names.pod())) {
                warmClaims.put(names.pod(), c);
            }
        }
        for (Secret s : secrets.getSecondaryResources(pool)) {
            String base = workerOf(s, CollabLabels.accessSecretName(""));
            if (base != null && !claimedNames.contains(base)) {
                warmSecrets.put(base, s);
            }
            base = workerOf(s, CollabLabels.gatewayHomeSecretName(""));
            if (base != null && !claimedNames.contains(base)) {
                warmGatewayHomes.put(base, s);
            }
        }
        String template = PoolWorkerBuilder.templateHash(pool, settings, WarmGatewayHome.keyFingerprint(key));
        Set<String> names = new TreeSet<>(warmPods.keySet());
        names.addAll(warmClaims.keySet());
        names.addAll(warmSecrets.keySet());
        names.addAll(warmGatewayHomes.keySet());
        List<PoolPlan.Worker> workers = new ArrayList<>();
        for (String name : names) {
            Pod pod = warmPods.get(name);
            PodView view = pod == null ? null : PodView.of(pod, settings.port());
            boolean outdated = view != null && !Objects.equals(template, view.specHash());
            workers.add(new PoolPlan.Worker(
                    name,
                    PoolPlan.stateOf(view, settings.startTimeout(), now),
                    warmClaims.containsKey(name),
                    warmSecrets.containsKey(name) || warmGatewayHomes.containsKey(name),
                    outdated));
        }
        return workers;
    }

    /** Gateway pools: each Ready warm worker loads its project instance before a claim ({@link WorkerWarmUp}). */
    private void warmReadyWorkers() {
        warmPods.forEach((name, pod) -> {
            PodView view = PodView.of(pod, settings.port());
            Secret access = warmSecrets.get(name);
            if (view.ready() && !view.terminating() && access != null) {
                warmUp.warm(pod.getMetadata().getUid(), view.endpoint(), AccessSecrets.serverPassword(access));
            }
        });
    }

    /** The worker a warm (unclaimed) Secret named {@code <worker><suffix>} belongs to, or null. */
    private static String workerOf(Secret s, String suffix) {
        String name = s.getMetadata().getName();
        return name.endsWith(suffix) && !isClaimed(s) ? name.substring(0, name.length() - suffix.length()) : null;
    }

    static boolean isClaimed(HasMetadata child) {
        Map<String, String> labels = child.getMetadata().getLabels();
        return labels != null && labels.containsKey(CollabLabels.SESSION);
    }

    /**
     * Deletes a worker. The pod goes first, conditioned on the resourceVersion this reconcile saw: a session that
     * claimed it meanwhile changed that version, the delete answers 409 and the worker (now the session's) stays.
     */
    private void remove(String name) {
        Pod pod = warmPods.get(name);
        if (pod != null) {
            // re-read: the cache may not show a claim made a moment ago; the precondition below covers what is left
            pod = client.pods()
                    .inNamespace(pool.getMetadata().getNamespace())
                    .withName(name)
                    .get();
            if (pod != null && isClaimed(pod)) {
                return; // a session's now: neither its pod nor its HOME claim and Secret are the pool's to remove
            }
        }
        if (pod != null && pod.getMetadata().getDeletionTimestamp() == null) {
            try {
                client.pods()
                        .resource(pod)
                        .lockResourceVersion(pod.getMetadata().getResourceVersion())
                        .delete();
            } catch (KubernetesClientException e) {
                if (Children.isConflict(e)) {
                    LOG.debugf(
                            "pool %s: worker %s changed (claimed?) before its removal: kept",
                            pool.getMetadata().getName(), name);
                    return;
                }
                if (!Children.isNotFound(e)) {
                    throw e;
                }
            }
            SessionEvents.emit(
                    client,
                    pool,
                    "WorkerRemoved",
                    "removed warm worker " + name + " ("
                            + PoolPlan.stateOf(PodView.of(pod, settings.port()), settings.startTimeout(), now) + ")",
                    false,
                    now);
        }
        delete(warmClaims.get(name));
        delete(warmSecrets.get(name));
        delete(warmGatewayHomes.get(name));
    }

    private void delete(HasMetadata child) {
        if (child != null && child.getMetadata().getDeletionTimestamp() == null) {
            try {
                client.resource(child).delete();
            } catch (KubernetesClientException e) {
                if (!Children.isNotFound(e)) {
                    throw e;
                }
            }
        }
    }

    /** Creates a new worker: access Secret, placeholder home (Gateway), HOME claim, pod (it needs them all). */
    private void createWorker(WorkerNames names) {
        Children.createOnce(client, secrets, PoolWorkerBuilder.access(pool, names));
        if (key != null) {
            Children.createOnce(client, secrets, PoolWorkerBuilder.gatewayHome(pool, names, key, settings));
        }
        Children.createOnce(client, claims, PoolWorkerBuilder.homeClaim(pool, names, settings));
        Pod pod = PoolWorkerBuilder.pod(pool, names, settings, WarmGatewayHome.keyFingerprint(key));
        pod.getMetadata().getAnnotations().put(CollabLabels.CREATED_AT, now.toString());
        Children.createOnce(client, pods, pod);
    }

    private String newWorkerName() {
        StringBuilder name = new StringBuilder(pool.getMetadata().getName()).append('-');
        for (int i = 0; i < 5; i++) {
            name.append(SUFFIX_CHARS.charAt(RANDOM.nextInt(SUFFIX_CHARS.length())));
        }
        return name.toString();
    }

    private CollabSessionPoolStatus status(PoolPlan.Decision decision) {
        CollabSessionPoolStatus status = new CollabSessionPoolStatus();
        status.setReplicas(decision.warm());
        status.setReady(decision.ready());
        status.setClaimed(claimed);
        status.setDesired(pool.getSpec().getReplicas());
        status.setSelector(CollabLabels.POOL + "=" + pool.getMetadata().getName() + ",!" + CollabLabels.SESSION);
        status.setObservedGeneration(pool.getMetadata().getGeneration());
        return status;
    }
}
