package dev.collab.operator;

import dev.collab.config.CollabConfig;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

/**
 * Starts the operator only in the operator and local roles (the router role runs the same artifact
 * without reconciling anything), and provides its leader election: one active operator at a time.
 */
@ApplicationScoped
public class OperatorStarter {
    private static final Logger LOG = Logger.getLogger(OperatorStarter.class);
    public static final String LEASE_NAME = "collab-session-operator";

    void onStart(@Observes StartupEvent event, CollabConfig config, Operator operator) {
        if (!config.role().runsOperator()) {
            LOG.infof("role %s: the operator is not started", config.role());
            return;
        }
        LOG.infof("role %s: starting the CollabSession operator", config.role());
        operator.start();
    }

    void onStop(@Observes ShutdownEvent event, CollabConfig config, Operator operator) {
        if (config.role().runsOperator()) {
            operator.stop();
        }
    }

    @Produces
    @Singleton
    LeaderElectionConfiguration leaderElection() {
        return LeaderElectionConfigurationBuilder.aLeaderElectionConfiguration(LEASE_NAME).build();
    }
}
