package dev.collab.config;

import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * All collab.* keys of docs/DESIGN.md section 6, and the only place their defaults are written: application.properties,
 * tests and the local bootstrap read them from here.
 */
@ConfigMapping(prefix = "collab")
public interface CollabConfig {

    /** The configuration with nothing set: every key at its default. */
    static CollabConfig defaults() {
        return read(new SmallRyeConfigBuilder()
                // the only value a default refers to (collab.local.data-dir)
                .withSources(new PropertiesConfigSource(
                        Map.of("user.home", System.getProperty("user.home")),
                        "defaults",
                        ConfigSource.DEFAULT_ORDINAL)));
    }

    /** The collab.* keys of a configuration built outside Quarkus (the local bootstrap runs before it). */
    static CollabConfig read(SmallRyeConfigBuilder builder) {
        return builder.addDefaultInterceptors()
                // durations as Quarkus reads them ("30s", "5m"), not only ISO-8601
                .withConverter(Duration.class, 200, new DurationConverter())
                .withMapping(CollabConfig.class)
                .withValidateUnknown(false)
                .build()
                .getConfigMapping(CollabConfig.class);
    }

    @WithDefault("operator")
    Role role();

    /** Namespaces watched; empty means the namespace of the process (or all, per JOSDK's configuration). */
    Optional<List<String>> namespaces();

    Session session();

    /** Running sessions in the whole cluster; 0 = unlimited. */
    @WithDefault("0")
    int maxRunning();

    /** Running sessions of one owner; 0 = unlimited. */
    @WithDefault("0")
    int maxRunningPerOwner();

    Router router();

    Local local();

    Credentials credentials();

    Gateway gateway();

    /** How the operator role splits the sessions among processes (docs/DESIGN.md section 12). */
    Operator operator();

    /**
     * Sharding: {@code shards} operator Deployments, each the leader of its own Lease, each watching only sessions,
     * pools and children labelled collab.dev/shard=&lt;shard&gt;. 1 (the default) is one operator for every session and
     * no shard label anywhere, as before sharding existed.
     */
    interface Operator {
        /** How many shards the sessions are split into; every operator process of one install must agree. */
        @WithDefault("1")
        int shards();

        /** This process's shard, 0 to shards - 1 (ignored when shards is 1). */
        @WithDefault("0")
        int shard();
    }

    interface Credentials {
        /**
         * Mode of sessions whose spec.credentials.mode is unset (DESIGN.md section 8): Gateway, the mode that keeps
         * the key out of the pod and limits its egress to an allowlist (issue 24).
         */
        @WithDefault("Gateway")
        dev.collab.api.CredentialsMode defaultMode();
    }

    /** The credential gateway (role gateway; in-process in local mode). */
    interface Gateway {
        /**
         * How session pods reach the gateway, without the trailing /v1 (e.g. http://collab-gateway.collab-system:8080).
         * Unset in local mode: this process (http://127.0.0.1:quarkus.http.port).
         */
        Optional<String> url();

        /** The provider the gateway forwards to. */
        @WithDefault("https://api.anthropic.com")
        String upstream();

        /** Secret (in the namespace of the operator and the gateway) whose key "key" signs the placeholders. */
        @WithDefault("collab-gateway-key")
        String keySecret();

        /** The gateway accepts a placeholder only from its session's pod IP (off only for tests and benchmarks). */
        @WithDefault("true")
        boolean checkSourceIp();

        /** How often usage totals are added to status.usage per session (only when they changed). */
        @WithDefault("60s")
        Duration usageFlushInterval();

        /** No upstream response headers within this time: 504. Streams themselves are not limited. */
        @WithDefault("120s")
        Duration upstreamTimeout();

        /** Account pools (accounts.json): rotation, OAuth refresh, budgets (DESIGN.md section 8). */
        AccountsConfig accounts();

        /** The egress proxy Gateway-mode sessions reach everything but the provider through (DESIGN.md section 8). */
        Egress egress();

        /**
         * USD per million tokens by model-id prefix, e.g. collab.gateway.prices."claude-sonnet-4".input=3; an entry
         * replaces the shipped price of the same prefix (DESIGN.md section 8, the longest matching prefix wins).
         */
        Map<String, Price> prices();
    }

    /** One model's list prices, USD per million tokens. */
    interface Price {
        java.math.BigDecimal input();

        java.math.BigDecimal output();

        java.math.BigDecimal cacheRead();

        java.math.BigDecimal cacheWrite();
    }

    interface Egress {
        /** Port of the egress proxy (CONNECT and absolute-form HTTP), beside the gateway's HTTP port. */
        @WithDefault("3128")
        int port();

        /**
         * Operator: how session pods reach the egress proxy, e.g. http://collab-gateway.collab-system:3128. Unset in
         * local mode: this process (http://127.0.0.1:collab.gateway.egress.port).
         */
        Optional<String> url();

        /** Entries every Gateway-mode session may reach, before its own spec.egress.allow (EgressPattern grammar). */
        Optional<List<String>> allow();

        /**
         * Address ranges refused after resolution besides the private, loopback, link-local and reserved ones (e.g. a
         * cluster's pod or service range when it is public address space); an allowlisted range still wins.
         */
        Optional<List<String>> denyRanges();

        /** Bytes (up plus down) per owner per UTC day; 0 = no limit. spec.credentials.budget.egressBytes overrides. */
        @WithDefault("0")
        long dailyBytes();

        /** A tunnel with no byte either way this long is closed. */
        @WithDefault("10m")
        Duration idleTimeout();
    }

    interface Session {
        @WithDefault("ghcr.io/anomalyco/opencode:1.18.33")
        String image();

        @WithDefault("4096")
        int port();

        /** Go-style duration; "0" disables idle eviction. */
        @WithDefault("30m")
        String idleTimeout();

        @WithDefault("2Gi")
        String storageSize();

        Optional<String> storageClass();

        /** Default container resources when the spec sets none. */
        Resources resources();

        /** A session not Ready this long after its pod was created says so in a condition. */
        @WithDefault("5m")
        Duration startTimeout();

        /**
         * Longest an agent opencode reports busy may keep a session past its idle timeout without client activity
         * (opencode can report busy forever, #35472); "0" = no bound.
         */
        @WithDefault("2h")
        Duration busyMax();

        /**
         * Before a published pod is replaced (new credentials, changed spec) its endpoint is withdrawn and the operator
         * waits until no agent is busy, at most this long; "0" = replace at once (the prompt in flight is lost).
         */
        @WithDefault("30s")
        Duration drainMax();

        /** Service account of session pods (no permissions, token never mounted); empty = namespace default. */
        Optional<String> serviceAccountName();

        /**
         * Whether spec.env may read Secrets and ConfigMaps (valueFrom.secretKeyRef, configMapKeyRef). Off: a session's
         * shell would show whatever it names, so whoever may create a CollabSession could read any Secret.
         */
        @WithDefault("false")
        boolean allowEnvValueFrom();

        /** uid/gid the session containers run as. */
        @WithDefault("1000")
        long runAsUser();
    }

    interface Resources {
        @WithName("requests.cpu")
        @WithDefault("100m")
        Optional<String> requestsCpu();

        @WithName("requests.memory")
        @WithDefault("512Mi")
        Optional<String> requestsMemory();

        @WithName("limits.cpu")
        Optional<String> limitsCpu();

        @WithName("limits.memory")
        @WithDefault("1Gi")
        Optional<String> limitsMemory();
    }

    interface Router {
        @WithDefault("30s")
        Duration wakeWait();

        /** Name of the router's own Secret holding the admin token (key "token"). */
        @WithDefault("collab-router-admin")
        String adminTokenSecret();

        @WithDefault("10M")
        String maxBody();

        /** Upstream response timeout before 504. */
        @WithDefault("60s")
        Duration upstreamTimeout();

        /**
         * Base domain of host-based routing: {@code <session>.<session-domain>} serves the whole session (opencode's
         * web UI included) at its root. Unset: path routing {@code /s/<session>/} only. Local mode: {@code localhost}.
         */
        Optional<String> sessionDomain();

        /**
         * Origins (scheme://host[:port]) besides the router's own whose cookie-authenticated requests are accepted;
         * others get 403.
         */
        Optional<List<String>> allowedOrigins();
    }

    interface Local {
        /**
         * Where local mode keeps the API state and the session HOME folders: outside any git work tree by default
         * ($XDG_DATA_HOME/collab-local, else ~/.local/share/collab-local).
         */
        @WithDefault("${XDG_DATA_HOME:${user.home}/.local/share}/collab-local")
        String dataDir();

        /** The command a local worker runs in place of the container's "opencode". */
        @WithDefault("opencode")
        String opencodeCommand();

        /** Port of the embedded Kubernetes API on 127.0.0.1; 0 picks a free one. */
        @WithName("api-port")
        @WithDefault("0")
        int apiPort();

        /**
         * Which Kubernetes API local mode runs on: {@code auto} (the real control plane when
         * tools/control-plane/build.sh has built it, else the embedded API), {@code control-plane} (fails without
         * the binaries) or {@code embedded} (the Fabric8 mock server: no kubectl, no admission).
         */
        @WithDefault("auto")
        String api();

        /**
         * How local workers are isolated: {@code auto} (bubblewrap when {@code bwrap} works here, else none, said at
         * startup), {@code bwrap} (fails without it) or {@code none} (workers run as this user and can read
         * everything it can).
         */
        @WithDefault("auto")
        String sandbox();
    }
}
