package dev.collab.local.controlplane;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A real Kubernetes control plane on loopback: etcd, kube-apiserver (RBAC, the default admission plugins including
 * PodSecurity and ServiceAccount, a service-account issuer and signing key so TokenRequest works, optionally an
 * audit log of every write) and kube-controller-manager (garbage collector, namespace, serviceaccount, node
 * lifecycle and the other default controllers). No scheduler, kubelet or container runtime: the local node (or a
 * test's stand-in) plays those. Everything lives in one directory: etcd's data there survives a restart.
 *
 * <p>Identities: the admin (static token, group system:masters, new each start) and the controller manager.
 */
public final class KubeControlPlane implements AutoCloseable {
    public static final String ADMIN = "collab-admin";
    /** etcd's sockets, relative to the control plane's directory (etcd's unix URLs need host:port form). */
    private static final String ETCD_CLIENT = "unix://etcd-client:0";

    private static final String ETCD_PEER = "unix://etcd-peer:0";

    /**
     * @param apiPort     the API server's port on 127.0.0.1 (0 = a free one)
     * @param controllers kube-controller-manager's --controllers
     * @param auditLog    whether the API server writes {@code audit.log} (every write, metadata only)
     */
    public record Options(int apiPort, String controllers, boolean auditLog, NodeSupport node) {
        public Options(int apiPort, String controllers, boolean auditLog) {
            this(apiPort, controllers, auditLog, null);
        }
    }

    private final ControlPlaneBinaries binaries;
    private final Path dir;
    private final Options options;
    private final String adminToken = UUID.randomUUID().toString();
    private final String controllerManagerToken = UUID.randomUUID().toString();
    private final List<ManagedProcess> processes = new ArrayList<>();
    private String url;

    private KubeControlPlane(ControlPlaneBinaries binaries, Path dir, Options options) {
        this.binaries = binaries;
        this.dir = dir;
        this.options = options;
    }

    /** Starts etcd, kube-apiserver and kube-controller-manager in {@code dir}; stops what started when a step fails. */
    public static KubeControlPlane start(ControlPlaneBinaries binaries, Path dir, Options options) {
        KubeControlPlane plane = new KubeControlPlane(binaries, dir, options);
        try {
            ControlPlanePids.stopLeftovers(dir, binaries);
            plane.startAll();
            return plane;
        } catch (RuntimeException | Error e) {
            plane.close();
            throw e;
        }
    }

    private void startAll() {
        NodeSupport node = options.node();
        ControlPlaneFiles files =
                ControlPlaneFiles.write(dir, adminToken, controllerManagerToken, node == null ? "" : node.tokenLine());
        // etcd on unix sockets in this directory, not on loopback TCP: etcd has no authentication here, and local
        // workers share the machine's network (a sandbox hides this directory, so they cannot reach the sockets)
        processes.add(ManagedProcess.start(
                "etcd",
                dir,
                List.of(
                        binaries.etcd().toString(),
                        "--data-dir",
                        dir.resolve("etcd").toString(),
                        "--unsafe-no-fsync",
                        "--listen-client-urls",
                        ETCD_CLIENT,
                        "--advertise-client-urls",
                        ETCD_CLIENT,
                        "--listen-peer-urls",
                        ETCD_PEER,
                        "--initial-advertise-peer-urls",
                        ETCD_PEER,
                        "--initial-cluster",
                        "default=" + ETCD_PEER,
                        "--log-level",
                        "warn"),
                Map.of(),
                dir));
        int apiPort = options.apiPort() == 0 ? freePort() : options.apiPort();
        String address = node == null ? "127.0.0.1" : node.address();
        url = "https://" + address + ":" + apiPort;
        List<String> apiServer = new ArrayList<>(List.of(
                binaries.apiServer().toString(),
                "--etcd-servers",
                ETCD_CLIENT,
                "--bind-address",
                address,
                "--advertise-address",
                address,
                "--secure-port",
                Integer.toString(apiPort),
                "--cert-dir",
                files.certDir().toString(),
                "--token-auth-file",
                files.tokens().toString(),
                "--authorization-mode",
                node == null ? "RBAC" : "Node,RBAC",
                "--service-account-issuer",
                "https://kubernetes.default.svc",
                "--service-account-signing-key-file",
                files.serviceAccountKey().toString(),
                "--service-account-key-file",
                files.serviceAccountKey().toString(),
                "--service-cluster-ip-range",
                "10.96.0.0/24",
                "--profiling=false",
                "--v",
                "1"));
        if (node != null) {
            apiServer.addAll(node.apiServerArgs());
        }
        if (options.auditLog()) {
            apiServer.addAll(List.of(
                    "--audit-policy-file",
                    files.auditPolicy().toString(),
                    "--audit-log-path",
                    files.auditLog().toString(),
                    "--audit-log-maxsize",
                    "0"));
        }
        processes.add(ManagedProcess.start("kube-apiserver", dir, apiServer, Map.of(), dir));
        awaitApiServer(files);
        Path controllerManagerConfig = dir.resolve("controller-manager.kubeconfig");
        ControlPlaneFiles.kubeconfig(kubeconfig(), url, files.servingCert(), adminToken, "");
        ControlPlaneFiles.kubeconfig(controllerManagerConfig, url, files.servingCert(), controllerManagerToken, "");
        List<String> controllerManager = new ArrayList<>(List.of(
                binaries.controllerManager().toString(),
                "--kubeconfig",
                controllerManagerConfig.toString(),
                "--leader-elect=false",
                "--controllers",
                options.controllers(),
                "--secure-port",
                "0",
                "--service-account-private-key-file",
                files.serviceAccountKey().toString(),
                "--root-ca-file",
                files.servingCert().toString(),
                "--cluster-signing-duration",
                "1h",
                "--v",
                "1"));
        if (node != null) {
            controllerManager.addAll(node.controllerManagerArgs());
        }
        processes.add(ManagedProcess.start("kube-controller-manager", dir, controllerManager));
        ControlPlanePids.write(dir, processes);
        awaitDefaultServiceAccount();
    }

    private void awaitApiServer(ControlPlaneFiles files) {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(90));
        String last = "";
        while (Instant.now().isBefore(deadline)) {
            assertAlive();
            if (Files.exists(files.servingCert())) {
                try (KubernetesClient probe = newClient(adminToken)) {
                    last = probe.raw("/readyz");
                    if ("ok".equals(last)) {
                        return;
                    }
                } catch (RuntimeException e) {
                    last = e.getMessage();
                }
            }
            sleep(250);
        }
        throw new IllegalStateException("kube-apiserver not ready in 90 s (" + last + ")\n" + logs());
    }

    /** The serviceaccount controller creates "default" in every namespace: proof the controller manager works. */
    private void awaitDefaultServiceAccount() {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        try (KubernetesClient admin = newClient(adminToken)) {
            while (Instant.now().isBefore(deadline)) {
                assertAlive();
                if (admin.serviceAccounts()
                                .inNamespace("default")
                                .withName("default")
                                .get()
                        != null) {
                    return;
                }
                sleep(250);
            }
        }
        throw new IllegalStateException("kube-controller-manager created no default ServiceAccount in 60 s\n" + logs());
    }

    private void assertAlive() {
        for (ManagedProcess p : processes) {
            if (!p.alive()) {
                throw new IllegalStateException("control plane process died\n" + logs());
            }
        }
    }

    /** The last lines of every process log (for failure messages). */
    public String logs() {
        StringBuilder out = new StringBuilder();
        processes.forEach(p -> out.append(p.tail(25)).append('\n'));
        return out.toString();
    }

    /** A client for the API server with this bearer token, trusting its serving certificate. */
    public Config clientConfig(String token) {
        return new ConfigBuilder(Config.empty())
                .withMasterUrl(url)
                .withCaCertFile(caCert().toString())
                .withOauthToken(token)
                .withRequestTimeout(30_000)
                .withConnectionTimeout(10_000)
                .build();
    }

    public KubernetesClient newClient(String token) {
        return new KubernetesClientBuilder().withConfig(clientConfig(token)).build();
    }

    /** The cluster admin's token (group system:masters); valid until the control plane stops. */
    public String adminToken() {
        return adminToken;
    }

    /** A kubeconfig for the admin identity (for kubectl or any other client). */
    public Path kubeconfig() {
        return dir.resolve("admin.kubeconfig");
    }

    public Path dir() {
        return dir;
    }

    public ControlPlaneBinaries binaries() {
        return binaries;
    }

    public String url() {
        return url;
    }

    /** The CA that verifies the API server's serving certificate (self-signed for 127.0.0.1). */
    public Path caCert() {
        return ControlPlaneFiles.at(dir).servingCert();
    }

    public Path auditLog() {
        return ControlPlaneFiles.at(dir).auditLog();
    }

    /** Stops the controller manager, the API server and etcd, in that order. Idempotent. */
    @Override
    public void close() {
        for (int i = processes.size() - 1; i >= 0; i--) {
            processes.get(i).close();
        }
        processes.clear();
        ControlPlanePids.forget(dir);
    }

    /** Labels that make Pod Security admission enforce the restricted profile in a namespace. */
    public static Map<String, String> restricted() {
        return Map.of(
                "pod-security.kubernetes.io/enforce",
                "restricted",
                "pod-security.kubernetes.io/enforce-version",
                "latest");
    }

    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
