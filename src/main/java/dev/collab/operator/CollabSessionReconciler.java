package dev.collab.operator;

import dev.collab.api.CollabSession;
import dev.collab.api.Shards;
import dev.collab.config.CollabConfig;
import dev.collab.config.OperatorShard;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * The controller: declares the three informers (worker pods, HOME claims, Secrets) and hands each reconcile to
 * {@link SessionReconciliation} (observe -> decide -> apply -> status) with its collaborators.
 */
@ControllerConfiguration(
        name = CollabSessionReconciler.NAME,
        generationAwareEventProcessing = false,
        informer = @Informer(itemStore = ManagedFieldsFreeStore.class, onUpdateFilter = OwnStatusEchoes.class))
public class CollabSessionReconciler implements Reconciler<CollabSession> {
    public static final String NAME = "collabsession";
    static final String BY_CREDENTIALS_SECRET = "by-credentials-secret";

    private final OperatorSettings settings;
    private final Clock clock;
    private final BusyProbe busyProbe;
    private final MeterRegistry registry;
    private final CredentialDelivery delivery;
    private final OperatorShard shard;

    private OperatorMetrics metrics;
    private SessionReconciliation reconciliation;
    private SessionProbes probes;
    private ShardLabeler labeler;

    @Inject
    public CollabSessionReconciler(CollabConfig config, MeterRegistry registry) {
        this(
                OperatorSettings.from(config),
                Clock.systemUTC(),
                new OpencodeBusyProbe(Duration.ofSeconds(3)),
                new OpencodeCredentialDelivery(Duration.ofSeconds(5)),
                registry,
                OperatorShard.from(config));
    }

    /** With opencode's own credential API for claimed warm workers. */
    public CollabSessionReconciler(
            OperatorSettings settings, Clock clock, BusyProbe busyProbe, MeterRegistry registry) {
        this(settings, clock, busyProbe, new OpencodeCredentialDelivery(Duration.ofSeconds(5)), registry);
    }

    public CollabSessionReconciler(
            OperatorSettings settings,
            Clock clock,
            BusyProbe busyProbe,
            CredentialDelivery delivery,
            MeterRegistry registry) {
        this(settings, clock, busyProbe, delivery, registry, OperatorShard.SINGLE);
    }

    /** As one shard of several (docs/DESIGN.md section 12): the children and sessions labelled with it. */
    public CollabSessionReconciler(
            OperatorSettings settings,
            Clock clock,
            BusyProbe busyProbe,
            CredentialDelivery delivery,
            MeterRegistry registry,
            OperatorShard shard) {
        this.shard = shard;
        this.settings = settings;
        this.clock = clock;
        this.busyProbe = busyProbe;
        this.delivery = delivery;
        this.registry = registry;
    }

    @Override
    public List<EventSource<?, CollabSession>> prepareEventSources(EventSourceContext<CollabSession> context) {
        var sessions = context.getPrimaryCache();
        sessions.addIndexer(
                BY_CREDENTIALS_SECRET,
                cs -> cs.getSpec() == null || cs.getSpec().getCredentials() == null
                        ? List.of()
                        : List.of(key(
                                cs.getMetadata().getNamespace(),
                                cs.getSpec().getCredentials().getSecretName())));
        SessionProbes probes = new SessionProbes(busyProbe);
        DesiredSpecHashes specHashes = new DesiredSpecHashes(settings);
        SessionInformers informers = SessionInformers.declare(context, shard, session -> {
            probes.podGone(session);
            specHashes.podGone(session);
        });
        var pods = informers.pods();
        var claims = informers.claims();
        var accessSecrets = informers.accessSecrets();
        var credentialSecrets = informers.credentialSecrets();
        var gatewayHomeSecrets = informers.gatewayHomeSecrets();
        var pools = informers.pools();
        var warmPods = informers.warmPods();
        metrics = new OperatorMetrics(registry, sessions::list);
        this.probes = probes;
        reconciliation = new SessionReconciliation(
                new SessionCollaborators(
                        settings,
                        clock,
                        credentialSecrets,
                        new AccessSecretDependent(accessSecrets),
                        new GatewayHomeDependent(
                                gatewayHomeSecrets,
                                new GatewayKeySource(settings.gateway().keySecret(), context.getClient())::get),
                        new HomeClaimDependent(claims),
                        new WorkerPodDependent(pods),
                        probes,
                        new CapacityLedger(),
                        metrics,
                        new WorkerLookup(pods, claims),
                        new WarmWorkerClaim(pods, warmPods, pools, settings),
                        delivery),
                specHashes);
        // A probe or delivery that finished off the reconcile thread brings its session back to a reconcile.
        var probeResults = new SimpleInboundEventSource<CollabSession>("probe-results");
        probes.calls().wakeWith(probeResults::propagateEvent);
        List<EventSource<?, CollabSession>> sources = new java.util.ArrayList<>(
                List.of(pods, claims, accessSecrets, credentialSecrets, gatewayHomeSecrets, pools, probeResults));
        if (shard.sharded()) {
            sources.add(warmPods);
            List<InformerEventSource<? extends HasMetadata, CollabSession>> children =
                    List.of(pods, claims, accessSecrets, gatewayHomeSecrets);
            labeler = new ShardLabeler(
                    shard,
                    context.getClient(),
                    child -> children.stream().anyMatch(source -> isCachedIn(source, child)),
                    leading(context));
            var unsharded = labeler.unlabelled(CollabSession.class, "unsharded-sessions", context);
            labeler.scanEvery(() -> unsharded.list().toList());
            sources.add(unsharded);
        }
        return sources;
    }

    /** Whether this source's cache holds {@code child} under its shard label (after the labeler's relabel). */
    private static boolean isCachedIn(
            InformerEventSource<? extends HasMetadata, CollabSession> source, HasMetadata child) {
        if (!source.resourceType().isInstance(child)) {
            return false;
        }
        return source.get(ResourceID.fromResource(child))
                .map(cached -> child.getMetadata().getLabels().get(Shards.LABEL).equals(ChildMetadata.shardOf(cached)))
                .orElse(false);
    }

    @Override
    public UpdateControl<CollabSession> reconcile(CollabSession session, Context<CollabSession> context) {
        if (!isMine(session, shard)) {
            // the primary informer's selector keeps other shards' sessions out; this guards a misconfigured one
            return UpdateControl.noUpdate();
        }
        return reconciliation.reconcile(session, context);
    }

    @Override
    public ErrorStatusUpdateControl<CollabSession> updateErrorStatus(
            CollabSession session, Context<CollabSession> context, Exception e) {
        metrics.reconcileError();
        return ErrorStatusUpdateControl.defaultErrorProcessing();
    }

    /**
     * Whether this process may write now: it holds its Lease, or runs without leader election (tests, local mode).
     * Informers run on standby replicas too; only reconciles wait for the Lease.
     */
    static java.util.function.BooleanSupplier leading(EventSourceContext<?> context) {
        boolean elected = context.getControllerConfiguration()
                .getConfigurationService()
                .getLeaderElectionConfiguration()
                .isPresent();
        return elected ? OperatorStarter::leading : () -> true;
    }

    /** Not sharded: every session; sharded: only those labelled with this shard. */
    static boolean isMine(HasMetadata resource, OperatorShard shard) {
        return !shard.sharded() || shard.labelValue().equals(ChildMetadata.shardOf(resource));
    }

    /** How many sessions the network probes hold memory for (tests: deleted sessions leave none). */
    int probeMemory() {
        return probes == null ? 0 : probes.remembered();
    }

    static String key(String namespace, String name) {
        return namespace + "/" + name;
    }
}
