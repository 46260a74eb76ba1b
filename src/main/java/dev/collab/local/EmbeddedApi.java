package dev.collab.local;

import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionPool;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceSubresourcesBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import org.jboss.logging.Logger;

/**
 * The Kubernetes API of local mode: the Fabric8 mock server in CRUD mode on 127.0.0.1 (plain HTTP, loopback
 * only), serving the CollabSession CRD with its status subresource, with its state persisted under the data dir.
 */
public final class EmbeddedApi implements LocalApi {
    private static final Logger LOG = Logger.getLogger(EmbeddedApi.class);
    /** Strong references: java.util.logging forgets a logger's level when the logger is garbage collected. */
    private static final List<java.util.logging.Logger> QUIETED = List.of(
            java.util.logging.Logger.getLogger("io.fabric8.mockwebserver"),
            java.util.logging.Logger.getLogger("io.fabric8.kubernetes.client.server.mock"));

    private static final long SAVE_DELAY_MILLIS = 200;
    /** Like the API server's --event-ttl: Events older than this are deleted (the store is scanned on every lookup). */
    static final Duration EVENT_TTL = Duration.ofHours(1);

    private final Path dataDir;
    private final String namespace;
    private final KubernetesCrudDispatcher crud;
    private final MockWebServer webServer;
    private final KubernetesMockServer server;
    private final ApiStateStore store;
    private final ScheduledExecutorService saver;
    private final AtomicBoolean saveScheduled = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile ScheduledFuture<?> pendingSave;

    private EmbeddedApi(Path dataDir, String namespace) {
        QUIETED.forEach(l -> l.setLevel(Level.WARNING));
        this.dataDir = dataDir;
        this.namespace = namespace;
        this.store = new ApiStateStore(dataDir);
        this.crud = new KubernetesCrudDispatcher(List.of(CollabSession.crdContext(), CollabSessionPool.crdContext()));
        this.webServer = new MockWebServer();
        this.saver = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "collab-local-api-save");
            t.setDaemon(true);
            return t;
        });
        LocalApiDispatcher dispatcher = new LocalApiDispatcher(crud, webServer, this::scheduleSave);
        this.server = new KubernetesMockServer(
                new Context(Serialization.jsonMapper()), webServer, new HashMap<>(), dispatcher, false);
    }

    /** Loads the saved state, then listens on 127.0.0.1:port (0 = a free port). */
    public static EmbeddedApi start(Path dataDir, String namespace, int port) {
        EmbeddedApi api = new EmbeddedApi(dataDir, namespace);
        int loaded = api.store.load(api.crud);
        api.server.start(InetAddress.getLoopbackAddress(), port);
        api.registerCrd();
        api.saver.scheduleWithFixedDelay(api::expireEvents, 5, 5, TimeUnit.MINUTES);
        LOG.infof("embedded Kubernetes API on %s (%d objects restored from %s)", api.url(), loaded, api.store.file());
        return api;
    }

    /** The CRD objects themselves, so clients that list CRDs or resolve the kinds by discovery find them. */
    private void registerCrd() {
        for (Class<? extends io.fabric8.kubernetes.client.CustomResource<?, ?>> type :
                List.of(CollabSession.class, CollabSessionPool.class)) {
            CustomResourceDefinition crd = CustomResourceDefinitionContext.v1CRDFromCustomResourceType(type)
                    .build();
            crd.getSpec()
                    .getVersions()
                    .forEach(v -> v.setSubresources(new CustomResourceSubresourcesBuilder()
                            .withNewStatus()
                            .endStatus()
                            .build()));
            try (KubernetesClient client = newClient()) {
                if (client.apiextensions()
                                .v1()
                                .customResourceDefinitions()
                                .withName(crd.getMetadata().getName())
                                .get()
                        == null) {
                    client.apiextensions()
                            .v1()
                            .customResourceDefinitions()
                            .resource(crd)
                            .create();
                }
            }
        }
    }

    /** Deletes Events older than {@link #EVENT_TTL} through the API itself (so watchers see them go). */
    int expireEvents() {
        if (closed.get()) {
            return 0;
        }
        Instant cutoff = Instant.now().minus(EVENT_TTL);
        int deleted = 0;
        try (KubernetesClient client = newClient()) {
            for (Event event : client.v1().events().inAnyNamespace().list().getItems()) {
                String last = event.getLastTimestamp() != null
                        ? event.getLastTimestamp()
                        : event.getMetadata().getCreationTimestamp();
                if (last != null && Instant.parse(last).isBefore(cutoff)) {
                    client.resource(event).delete();
                    deleted++;
                }
            }
        } catch (RuntimeException e) {
            LOG.debugf("event expiry: %s", e.getMessage());
        }
        return deleted;
    }

    @Override
    public String description() {
        return "embedded API (Fabric8 mock server, state in " + store.file()
                + "; kubectl cannot use it: no discovery, no admission)";
    }

    @Override
    public Map<String, String> quarkusClientProperties() {
        return Map.of(
                "quarkus.kubernetes-client.api-server-url", url(), "quarkus.kubernetes-client.trust-certs", "true");
    }

    /** http://127.0.0.1:port (no trailing slash). */
    @Override
    public String url() {
        return "http://127.0.0.1:" + webServer.getPort();
    }

    public int port() {
        return webServer.getPort();
    }

    @Override
    public String namespace() {
        return namespace;
    }

    @Override
    public Config clientConfig() {
        return new ConfigBuilder(Config.empty())
                .withMasterUrl(url())
                .withNamespace(namespace)
                .withTrustCerts(true)
                .withHttp2Disable(true)
                .build();
    }

    /** A kubeconfig for Fabric8-style clients (kubectl cannot use this API: it has no discovery). */
    @Override
    public Path writeKubeconfig() throws IOException {
        Path file = dataDir.resolve("kubeconfig");
        String text = """
                apiVersion: v1
                kind: Config
                clusters:
                - name: collab-local
                  cluster:
                    server: %s
                users:
                - name: collab-local
                  user:
                    token: collab-local
                contexts:
                - name: collab-local
                  context:
                    cluster: collab-local
                    user: collab-local
                    namespace: %s
                current-context: collab-local
                """.formatted(url(), namespace);
        Files.createDirectories(dataDir);
        Files.writeString(file, text, StandardCharsets.UTF_8);
        ApiStateStore.restrict(file);
        return file;
    }

    Path stateFile() {
        return store.file();
    }

    private void scheduleSave() {
        if (!closed.get() && saveScheduled.compareAndSet(false, true)) {
            pendingSave = saver.schedule(
                    () -> {
                        saveScheduled.set(false);
                        store.save(crud);
                    },
                    SAVE_DELAY_MILLIS,
                    TimeUnit.MILLISECONDS);
        }
    }

    /** Saves now (a write within the last 200 ms included). */
    @Override
    public void flush() {
        store.save(crud);
    }

    /** Saves the state and stops listening. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        ScheduledFuture<?> pending = pendingSave;
        if (pending != null) {
            pending.cancel(false);
        }
        saver.shutdown();
        store.save(crud);
        try {
            server.shutdown();
        } catch (RuntimeException e) {
            LOG.debugf("embedded API shutdown: %s", e.getMessage());
        }
        LOG.info("embedded Kubernetes API stopped, state saved");
    }
}
