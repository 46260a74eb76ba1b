package dev.collab.local;

import dev.collab.api.AccessSecrets;
import dev.collab.api.CollabLabels;
import dev.collab.config.CollabConfig;
import dev.collab.local.controlplane.ControlPlaneBinaries;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Role local, before Quarkus starts: resolves (or installs) opencode, starts the embedded Kubernetes API and
 * points the Quarkus Kubernetes client at it with system properties, writes {@code <data-dir>/kubeconfig} and
 * makes sure the router's admin-token Secret exists. Quarkus configuration is not up yet in main(), so the
 * collab.* keys are read with a private SmallRye config (system properties, env, application.properties).
 */
public final class LocalBootstrap {
    private static final Logger LOG = Logger.getLogger(LocalBootstrap.class);
    /** Resolved values of collab.local.api, set as system properties for the app. */
    static final String CONTROL_PLANE = "control-plane";

    static final String EMBEDDED = "embedded";
    private static volatile LocalApi api;
    private static final CountDownLatch API_CLOSED = new CountDownLatch(1);

    private LocalBootstrap() {}

    /** The role as configured (collab.role), before Quarkus is up. */
    public static String role() {
        return collab().role().name();
    }

    /** In role local: starts everything Quarkus needs before it starts; otherwise does nothing. */
    public static boolean startIfLocal() {
        if (!"local".equals(role())) {
            return false;
        }
        SmallRyeConfig config = builder().build();
        CollabConfig collab = collab();
        Path dataDir = Path.of(collab.local().dataDir()).toAbsolutePath().normalize();
        gitWorkTreeAbove(dataDir)
                .ifPresent(repo -> LOG.warnf(
                        "the data dir %s is inside the git work tree %s: opencode "
                                + "takes that repository as the project of every session (and scans it); set collab.local.data-dir "
                                + "(COLLAB_LOCAL_DATA_DIR) outside it",
                        dataDir, repo));
        int apiPort = collab.local().apiPort();
        Optional<ControlPlaneBinaries> binaries = controlPlane(collab.local().api());
        // on the control plane the sessions live where deploy/ puts them (namespace collab, Pod Security restricted)
        String namespace = config.getOptionalValue("quarkus.kubernetes-client.namespace", String.class)
                .orElse(binaries.isPresent() ? "collab" : "default");
        String adminSecret = collab.router().adminTokenSecret();
        try {
            Files.createDirectories(dataDir);
            ApiStateStore.restrict(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the data dir " + dataDir, e);
        }
        String opencode = OpencodeInstaller.resolve(collab.local().opencodeCommand(), dataDir);
        String sandbox = Sandbox.resolve(collab.local().sandbox());

        LocalApi started = binaries.isPresent()
                ? ControlPlaneApi.start(binaries.get(), dataDir, namespace, apiPort)
                : EmbeddedApi.start(dataDir, namespace, apiPort);
        api = started;
        Path kubeconfig;
        try {
            kubeconfig = started.writeKubeconfig();
            ensureAdminToken(started, adminSecret, dataDir);
        } catch (IOException | RuntimeException e) {
            started.close();
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
        System.setProperty("collab.local.api", binaries.isPresent() ? CONTROL_PLANE : EMBEDDED);
        System.setProperty("collab.local.sandbox", sandbox);
        System.setProperty("collab.local.data-dir", dataDir.toString());
        System.setProperty("collab.local.opencode-command", opencode);
        started.quarkusClientProperties().forEach(System::setProperty);
        System.setProperty("quarkus.kubernetes-client.namespace", namespace);
        if (config.getOptionalValue("collab.router.session-domain", String.class)
                .isEmpty()) {
            // <session>.localhost resolves to this machine in browsers: opencode's web UI gets its own origin
            System.setProperty("collab.router.session-domain", "localhost");
        }
        if (config.getOptionalValue("quarkus.http.host", String.class).isEmpty()) {
            // the router of local mode serves this machine only, unless quarkus.http.host says otherwise
            System.setProperty("quarkus.http.host", "127.0.0.1");
        }
        if (config.getOptionalValue("collab.gateway.egress.port", Integer.class).isEmpty()) {
            // the egress proxy of the in-process gateway: a free port, so a squid on 3128 (or a second local mode)
            // does not stop this one; the same one as last time when it is still free, so sessions that come back
            // keep their HTTPS_PROXY; the operator reads the same property for it
            System.setProperty("collab.gateway.egress.port", Integer.toString(egressPort(dataDir)));
        }
        // never pick up the user's ~/.kube/config credentials (exec plugins, tokens) or a pod service account
        System.setProperty("kubernetes.auth.tryKubeConfig", "false");
        System.setProperty("kubernetes.auth.tryServiceAccount", "false");
        LOG.infof(
                "local mode: Kubernetes API: %s at %s (kubeconfig %s), namespace %s, opencode %s, data %s",
                started.description(), started.url(), kubeconfig, namespace, opencode, dataDir);
        if (started instanceof ControlPlaneApi plane) {
            LOG.infof("local mode: kubectl works: %s --kubeconfig %s get collab", plane.kubectl(), kubeconfig);
        }
        if (Sandbox.NONE.equals(sandbox)) {
            LOG.warnf(
                    "local mode: NO SANDBOX (collab.local.sandbox=%s, bubblewrap %s): every worker runs as this "
                            + "user and its agent can read and change whatever this user can, including the other "
                            + "sessions' HOME folders, %s/admin-token and the API state",
                    collab.local().sandbox(),
                    "none".equals(collab.local().sandbox()) ? "not wanted" : "not found or not usable",
                    dataDir);
        } else {
            LOG.infof(
                    "local mode: workers sandboxed with bubblewrap (%s): system read-only, only their own HOME "
                            + "writable, no view of %s or of other sessions",
                    sandbox, dataDir);
        }
        return true;
    }

    /** The control plane binaries when collab.local.api allows them and they are built; empty: the embedded API. */
    private static Optional<ControlPlaneBinaries> controlPlane(String choice) {
        if (EMBEDDED.equals(choice)) {
            return Optional.empty();
        }
        Optional<ControlPlaneBinaries> found = ControlPlaneBinaries.find();
        if (found.isEmpty()) {
            String why = "no control plane binaries (etcd, kube-apiserver, kube-controller-manager, kubectl) built by "
                    + "tools/control-plane/build.sh (examples/local.sh builds them on its first start)";
            if (CONTROL_PLANE.equals(choice)) {
                throw new IllegalStateException("collab.local.api=control-plane but " + why);
            }
            LOG.warnf("local mode: %s: falling back to the embedded API (kubectl cannot use it)", why);
        }
        return found;
    }

    /**
     * {@code $XDG_DATA_HOME/collab-local} (default {@code ~/.local/share/collab-local}): outside any repository, so a
     * session's workspace is not inside a git work tree (opencode walks up to the nearest .git, as it would not in a pod).
     */
    /** The nearest ancestor holding a .git entry, if any. */
    static Optional<Path> gitWorkTreeAbove(Path dir) {
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.exists(p.resolve(".git"))) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** The router's admin token (key "token"), created once and persisted with the API state; also in a 0600 file. */
    private static void ensureAdminToken(LocalApi started, String name, Path dataDir) throws IOException {
        try (KubernetesClient client = started.newClient()) {
            var existing = client.secrets()
                    .inNamespace(started.namespace())
                    .withName(name)
                    .get();
            String token;
            token = AccessSecrets.token(existing);
            if (token == null) {
                token = AccessSecrets.newToken();
                client.secrets()
                        .inNamespace(started.namespace())
                        .resource(new SecretBuilder()
                                .withNewMetadata()
                                .withName(name)
                                .addToLabels(CollabLabels.PART_OF, CollabLabels.PART_OF_VALUE)
                                .endMetadata()
                                .addToData(CollabLabels.ACCESS_TOKEN_KEY, AccessSecrets.encode(token))
                                .build())
                        .createOr(r -> r.update());
            }
            Path file = dataDir.resolve("admin-token");
            Files.writeString(file, token + "\n", StandardCharsets.UTF_8);
            ApiStateStore.restrict(file);
        }
        started.flush();
    }

    /** Saves the API state and stops the embedded API (idempotent); called last on shutdown. */
    public static void stopApi() {
        LocalApi running = api;
        if (running != null) {
            running.close();
        }
        API_CLOSED.countDown();
    }

    /**
     * For the JVM shutdown hook: on SIGTERM Quarkus stops itself (operator, router, local node) and
     * {@link LocalApiLifecycle} closes the API last; this waits for that, then closes it anyway.
     */
    public static void stopApiAfterQuarkus() {
        try {
            API_CLOSED.await(45, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stopApi();
    }

    /** The collab.* keys (defaults from {@link CollabConfig}) as Quarkus will see them. */
    static CollabConfig collab() {
        return CollabConfig.read(builder());
    }

    static SmallRyeConfigBuilder builder() {
        SmallRyeConfigBuilder builder =
                new SmallRyeConfigBuilder().addDefaultSources().addDefaultInterceptors();
        URL properties = Thread.currentThread().getContextClassLoader().getResource("application.properties");
        if (properties != null) {
            try {
                builder.withSources(new PropertiesConfigSource(properties, 250));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        String profile = System.getProperty("quarkus.profile", System.getenv().getOrDefault("QUARKUS_PROFILE", "prod"));
        return builder.withProfile(profile);
    }

    /** The port saved in the data dir when it is free now, else a free one (saved for the next start). */
    static int egressPort(Path dataDir) {
        Path saved = dataDir.resolve("egress-port");
        try {
            if (Files.exists(saved)) {
                int port = Integer.parseInt(Files.readString(saved).trim());
                if (bind(port) == port) {
                    return port;
                }
            }
            int port = freePort();
            Files.writeString(saved, Integer.toString(port));
            return port;
        } catch (IOException | NumberFormatException e) {
            return freePort();
        }
    }

    private static int freePort() {
        int port = bind(0);
        if (port < 0) {
            throw new UncheckedIOException(new IOException("no free loopback port for the egress proxy"));
        }
        return port;
    }

    /** Binds {@code port} on loopback (0: any) and lets it go: the port it got, or -1 when it is taken. */
    private static int bind(int port) {
        try (java.net.ServerSocket s = new java.net.ServerSocket(port, 0, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            return -1;
        }
    }
}
