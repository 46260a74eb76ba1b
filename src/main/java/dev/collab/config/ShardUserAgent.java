package dev.collab.config;

import io.fabric8.kubernetes.client.Config;
import io.quarkus.kubernetes.client.KubernetesConfigCustomizer;
import jakarta.inject.Singleton;

/**
 * A sharded operator names its shard in the API client's User-Agent, so the API server's audit log tells which
 * shard wrote what (all shards share one ServiceAccount). Unsharded processes keep the client's own User-Agent.
 */
@Singleton
public class ShardUserAgent implements KubernetesConfigCustomizer {
    private final CollabConfig config;

    public ShardUserAgent(CollabConfig config) {
        this.config = config;
    }

    @Override
    public void customize(Config client) {
        OperatorShard shard = OperatorShard.from(config);
        if (config.role() == Role.operator && shard.sharded()) {
            client.setUserAgent(userAgent(shard));
        }
    }

    public static String userAgent(OperatorShard shard) {
        return "collab-session-operator/shard-" + shard.index();
    }
}
