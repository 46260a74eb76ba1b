package dev.collab.operator;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionStatus;
import dev.collab.api.SessionPhase;
import dev.collab.api.StoppedReason;
import dev.collab.config.CollabConfig;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import io.fabric8.kubernetes.client.informers.cache.ReducedStateItemStore;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Hand-written reconcile over three informers (worker pods, HOME claims, Secrets): it compares the
 * cached children with the desired ones built by pure builders, applies the difference, and patches
 * status only when it changed. Lifecycle decisions (suspend, idle stop, wake, capacity) come from the
 * pure {@link Lifecycle} and {@link CapacityGate} rules.
 */
@ControllerConfiguration(name = CollabSessionReconciler.NAME, generationAwareEventProcessing = false)
public class CollabSessionReconciler implements Reconciler<CollabSession> {
    public static final String NAME = "collabsession";
    static final String BY_CREDENTIALS_SECRET = "by-credentials-secret";
    /** An opencode that does not answer the busy check is stopped after this many tries. */
    static final int MAX_UNREACHABLE_PROBES = 3;
    static final Duration PROBE_RETRY = Duration.ofSeconds(10);

    private final OperatorSettings settings;
    private final Clock clock;
    private final BusyProbe busyProbe;
    private final MeterRegistry registry;
    private final Map<ResourceID, Integer> unreachableProbes = new ConcurrentHashMap<>();
    private final CapacityLedger capacity = new CapacityLedger();
    private final AnswerWatch answers = new AnswerWatch();

    private OperatorMetrics metrics;
    private InformerEventSource<Secret, CollabSession> secrets;
    private AccessSecretDependent accessSecret;
    private GatewayHomeDependent gatewayHome;
    private HomeClaimDependent homeClaim;
    private WorkerPodDependent workerPod;

    @Inject
    public CollabSessionReconciler(CollabConfig config, MeterRegistry registry) {
        this(OperatorSettings.from(config), Clock.systemUTC(), new OpencodeBusyProbe(Duration.ofSeconds(3)), registry);
    }

    public CollabSessionReconciler(OperatorSettings settings, Clock clock, BusyProbe busyProbe, MeterRegistry registry) {
        this.settings = settings;
        this.clock = clock;
        this.busyProbe = busyProbe;
        this.registry = registry;
    }

    @Override
    public List<EventSource<?, CollabSession>> prepareEventSources(EventSourceContext<CollabSession> context) {
        var sessions = context.getPrimaryCache();
        sessions.addIndexer(BY_CREDENTIALS_SECRET, cs -> cs.getSpec() == null || cs.getSpec().getCredentials() == null
                ? List.of()
                : List.of(key(cs.getMetadata().getNamespace(), cs.getSpec().getCredentials().getSecretName())));
        String managed = CollabLabels.MANAGED_BY + "=" + CollabLabels.MANAGED_BY_VALUE;
        var pods = new InformerEventSource<>(InformerEventSourceConfiguration.from(Pod.class, CollabSession.class)
                .withName("worker-pods")
                .withNamespacesInheritedFromController()
                .withLabelSelector(managed + "," + CollabLabels.ROLE + "=" + CollabLabels.ROLE_WORKER)
                .withSecondaryToPrimaryMapper(Children::sessionOf)
                .withItemStore(podStore(context.getClient().getKubernetesSerialization()))
                .build(), context);
        var claims = new InformerEventSource<>(
                InformerEventSourceConfiguration.from(PersistentVolumeClaim.class, CollabSession.class)
                        .withName("home-claims")
                        .withNamespacesInheritedFromController()
                        .withLabelSelector(managed)
                        .withSecondaryToPrimaryMapper(Children::sessionOf)
                        .build(), context);
        // Credential Secrets are the user's and carry no label: watch the namespace's Secrets and map a
        // Secret to the sessions naming it (index), or to its session by label (access Secrets).
        secrets = new InformerEventSource<>(InformerEventSourceConfiguration.from(Secret.class, CollabSession.class)
                .withName("secrets")
                .withNamespacesInheritedFromController()
                .withSecondaryToPrimaryMapper(secret -> {
                    Set<ResourceID> bySession = Children.sessionOf(secret);
                    if (!bySession.isEmpty()) {
                        return bySession;
                    }
                    return sessions.byIndex(BY_CREDENTIALS_SECRET,
                                    key(secret.getMetadata().getNamespace(), secret.getMetadata().getName()))
                            .stream().map(ResourceID::fromResource).collect(Collectors.toSet());
                })
                .build(), context);
        accessSecret = new AccessSecretDependent(secrets);
        gatewayHome = new GatewayHomeDependent(secrets, new GatewayKeySource(settings.gateway().keySecret()));
        homeClaim = new HomeClaimDependent(claims, settings);
        workerPod = new WorkerPodDependent(pods);
        metrics = new OperatorMetrics(registry, sessions::list);
        return List.of(pods, claims, secrets);
    }

    /**
     * The pod cache keeps only what the reconcile reads (metadata labels and annotations, timestamps,
     * status), not the pod spec: the spec is never compared (the spec-hash annotation is), and it is the
     * bulk of a cached pod (containers, seed script, volumes, security contexts). Measured with
     * bench/operator-scale at 5,000 sessions.
     */
    static ItemStore<Pod> podStore(KubernetesSerialization serialization) {
        return new ReducedStateItemStore<>(ReducedStateItemStore.NAME_KEY_STATE, Pod.class, serialization,
                "metadata.labels", "metadata.annotations", "metadata.creationTimestamp", "metadata.deletionTimestamp",
                "metadata.uid", "status");
    }

    @Override
    public UpdateControl<CollabSession> reconcile(CollabSession session, Context<CollabSession> context) {
        SessionReconciliation run = new SessionReconciliation(session, context, this);
        run.execute();
        return run.result();
    }

    @Override
    public ErrorStatusUpdateControl<CollabSession> updateErrorStatus(CollabSession session, Context<CollabSession> context,
            Exception e) {
        metrics.reconcileError();
        return ErrorStatusUpdateControl.defaultErrorProcessing();
    }

    static String key(String namespace, String name) {
        return namespace + "/" + name;
    }

    static String serverPassword(Secret access) {
        if (access == null || access.getData() == null) {
            return null;
        }
        String encoded = access.getData().get(CollabLabels.ACCESS_SERVER_PASSWORD_KEY);
        return encoded == null ? null : new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
    }

    // Collaborators for SessionReconciliation (one reconcile of one session).
    OperatorSettings settings() {
        return settings;
    }

    Instant now() {
        return clock.instant();
    }

    BusyProbe busyProbe() {
        return busyProbe;
    }

    Map<ResourceID, Integer> unreachableProbes() {
        return unreachableProbes;
    }

    CapacityLedger capacity() {
        return capacity;
    }

    AnswerWatch answers() {
        return answers;
    }

    OperatorMetrics metrics() {
        return metrics;
    }

    InformerEventSource<Secret, CollabSession> secrets() {
        return secrets;
    }

    AccessSecretDependent accessSecret() {
        return accessSecret;
    }

    GatewayHomeDependent gatewayHome() {
        return gatewayHome;
    }

    HomeClaimDependent homeClaim() {
        return homeClaim;
    }

    WorkerPodDependent workerPod() {
        return workerPod;
    }

    static boolean isStopped(CollabSessionStatus status, StoppedReason reason) {
        return status != null && status.getPhase() == SessionPhase.Stopped && status.getStoppedReason() == reason;
    }
}
