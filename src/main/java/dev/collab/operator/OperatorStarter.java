package dev.collab.operator;

import dev.collab.config.CollabConfig;
import dev.collab.config.OperatorShard;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Starts the operator only in the operator and local roles (the router role runs the same artifact
 * without reconciling anything), and provides its leader election: one active operator at a time (per shard, when
 * sharded: each shard's replicas elect on a Lease of their own).
 */
@ApplicationScoped
public class OperatorStarter {
    private static final Logger LOG = Logger.getLogger(OperatorStarter.class);
    /** The Lease of an unsharded operator ({@link OperatorShard#leaseName()} for a shard's). */
    public static final String LEASE_NAME = OperatorShard.LEASE_BASE;

    private static final AtomicBoolean STOPPING = new AtomicBoolean();
    /** This replica holds the lease (collab_operator_leader: the sum over replicas is 1 while one leads). */
    private static final AtomicBoolean LEADING = new AtomicBoolean();

    /** Whether this replica holds its Lease (false before it does, and on a standby). */
    static boolean leading() {
        return LEADING.get();
    }

    void onStart(@Observes StartupEvent event, CollabConfig config, Operator operator, MeterRegistry registry) {
        if (!config.role().runsOperator()) {
            LOG.infof("role %s: the operator is not started", config.role());
            return;
        }
        Gauge.builder("collab_operator_leader", LEADING, l -> l.get() ? 1 : 0)
                .description("1 while this operator replica holds the leader lease and reconciles, else 0")
                .register(registry);
        Gauge.builder("collab_operator_shards", () -> OperatorShard.from(config).count())
                .description("How many shards the operators split the sessions into (1: not sharded); every shard needs"
                        + " a leader")
                .register(registry);
        LOG.infof(
                "role %s: starting the CollabSession operator (%s, Lease %s)",
                config.role(),
                OperatorShard.from(config),
                OperatorShard.from(config).leaseName());
        operator.start();
    }

    void onStop(@Observes ShutdownEvent event, CollabConfig config, Operator operator) {
        if (config.role().runsOperator()) {
            STOPPING.set(true);
            operator.stop();
        }
    }

    @Produces
    @Singleton
    LeaderElectionConfiguration leaderElection(CollabConfig config) {
        // JOSDK 5.1.5 calls System.exit when it stops leading, also when Operator.stop() runs inside the JVM
        // shutdown hook (SIGTERM): System.exit then blocks forever (operator-framework/java-operator-sdk#3376).
        // Exit only when the lease is lost while running.
        return LeaderElectionConfigurationBuilder.aLeaderElectionConfiguration(
                        OperatorShard.from(config).leaseName())
                .withExitOnStopLeading(false)
                .withLeaderCallbacks(new LeaderCallbacks(
                        () -> LEADING.set(true),
                        () -> {
                            LEADING.set(false);
                            if (!STOPPING.get()) {
                                LOG.error("lost the operator lease: exiting so that only one operator reconciles");
                                System.exit(1);
                            }
                        },
                        identity -> {}))
                .build();
    }
}
