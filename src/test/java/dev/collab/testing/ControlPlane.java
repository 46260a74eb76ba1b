package dev.collab.testing;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.UncheckedIOException;
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
 * A real Kubernetes control plane on loopback for the {@code *ControlPlaneIT} tier: etcd (data in a temp dir,
 * on tmpfs where there is one), kube-apiserver (RBAC, the default admission plugins including PodSecurity and
 * ServiceAccount, a service-account issuer and signing key so TokenRequest works, an audit log of every write)
 * and kube-controller-manager (garbage collector, namespace, serviceaccount and the other default controllers).
 * There is no scheduler, kubelet or container runtime: pods are admitted and stored but never run.
 *
 * <p>Use it through {@link ControlPlaneExtension}, which starts one per test run and skips when the binaries of
 * {@code tools/control-plane/build.sh} are absent. Identities: the admin (group system:masters, static token)
 * and any ServiceAccount via {@link #clientAs}, whose token comes from the TokenRequest API.
 */
public final class ControlPlane implements AutoCloseable {
    public static final String ADMIN = "collab-test-admin";
    private final ControlPlaneBinaries binaries;
    private final Path dir;
    private final String adminToken = UUID.randomUUID().toString();
    private final String controllerManagerToken = UUID.randomUUID().toString();
    private final List<ManagedProcess> processes = new ArrayList<>();
    private final List<KubernetesClient> clients = new ArrayList<>();
    private String url;
    private KubernetesClient admin;

    private ControlPlane(ControlPlaneBinaries binaries, Path dir) {
        this.binaries = binaries;
        this.dir = dir;
    }

    /** Starts etcd, kube-apiserver and kube-controller-manager; stops what started when a step fails. */
    public static ControlPlane start(ControlPlaneBinaries binaries) {
        ControlPlane plane = new ControlPlane(binaries, tempDir());
        try {
            plane.startAll();
            return plane;
        } catch (RuntimeException | Error e) {
            plane.close();
            throw e;
        }
    }

    private void startAll() {
        ControlPlaneFiles files = ControlPlaneFiles.write(dir, adminToken, controllerManagerToken);
        int etcdPort = freePort();
        processes.add(ManagedProcess.start(
                "etcd",
                dir,
                List.of(
                        binaries.etcd().toString(),
                        "--data-dir",
                        dir.resolve("etcd").toString(),
                        "--unsafe-no-fsync",
                        "--listen-client-urls",
                        "http://127.0.0.1:" + etcdPort,
                        "--advertise-client-urls",
                        "http://127.0.0.1:" + etcdPort,
                        "--listen-peer-urls",
                        "http://127.0.0.1:" + freePort(),
                        "--log-level",
                        "warn")));
        int apiPort = freePort();
        url = "https://127.0.0.1:" + apiPort;
        processes.add(ManagedProcess.start(
                "kube-apiserver",
                dir,
                List.of(
                        binaries.apiServer().toString(),
                        "--etcd-servers",
                        "http://127.0.0.1:" + etcdPort,
                        "--bind-address",
                        "127.0.0.1",
                        "--advertise-address",
                        "127.0.0.1",
                        "--secure-port",
                        Integer.toString(apiPort),
                        "--cert-dir",
                        files.certDir().toString(),
                        "--token-auth-file",
                        files.tokens().toString(),
                        "--authorization-mode",
                        "RBAC",
                        "--service-account-issuer",
                        "https://kubernetes.default.svc",
                        "--service-account-signing-key-file",
                        files.serviceAccountKey().toString(),
                        "--service-account-key-file",
                        files.serviceAccountKey().toString(),
                        "--service-cluster-ip-range",
                        "10.96.0.0/24",
                        "--audit-policy-file",
                        files.auditPolicy().toString(),
                        "--audit-log-path",
                        files.auditLog().toString(),
                        "--audit-log-maxsize",
                        "0",
                        "--profiling=false",
                        "--v",
                        "1")));
        awaitApiServer(files);
        admin = client(files, adminToken);
        ControlPlaneFiles.kubeconfig(kubeconfig(), url, files.servingCert(), adminToken);
        ControlPlaneFiles.kubeconfig(
                dir.resolve("controller-manager.kubeconfig"), url, files.servingCert(), controllerManagerToken);
        processes.add(ManagedProcess.start(
                "kube-controller-manager",
                dir,
                List.of(
                        binaries.controllerManager().toString(),
                        "--kubeconfig",
                        dir.resolve("controller-manager.kubeconfig").toString(),
                        "--leader-elect=false",
                        "--controllers",
                        "*",
                        "--secure-port",
                        "0",
                        "--service-account-private-key-file",
                        files.serviceAccountKey().toString(),
                        "--root-ca-file",
                        files.servingCert().toString(),
                        "--cluster-signing-duration",
                        "1h",
                        "--v",
                        "1")));
        awaitDefaultServiceAccount();
    }

    private void awaitApiServer(ControlPlaneFiles files) {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(90));
        String last = "";
        while (Instant.now().isBefore(deadline)) {
            assertAlive();
            if (Files.exists(files.servingCert())) {
                try (KubernetesClient probe = client(files, adminToken)) {
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

    private KubernetesClient client(ControlPlaneFiles files, String token) {
        return client(files, token, null);
    }

    private KubernetesClient client(ControlPlaneFiles files, String token, String namespace) {
        Config config = new ConfigBuilder(Config.empty())
                .withMasterUrl(url)
                .withNamespace(namespace)
                .withCaCertFile(files.servingCert().toString())
                .withOauthToken(token)
                .withRequestTimeout(30_000)
                .withConnectionTimeout(10_000)
                .build();
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    /** A cluster-admin client (group system:masters). Closed by {@link #close}. */
    public KubernetesClient admin() {
        return admin;
    }

    /**
     * A client whose identity is the ServiceAccount (created if missing), with a token from TokenRequest, so
     * only the RBAC granted to {@code system:serviceaccount:<namespace>:<name>} applies. Its default namespace is
     * the ServiceAccount's, as in a pod (the mounted namespace file). Closed by {@link #close}.
     */
    public KubernetesClient clientAs(String namespace, String serviceAccount) {
        KubernetesClient client = client(ControlPlaneFiles.at(dir), token(namespace, serviceAccount), namespace);
        synchronized (clients) {
            clients.add(client);
        }
        return client;
    }

    /** A one-hour token of the ServiceAccount (created if missing) from the TokenRequest API. */
    public String token(String namespace, String serviceAccount) {
        ensureNamespace(namespace, Map.of());
        createIfMissing(new ServiceAccountBuilder()
                .withNewMetadata()
                .withName(serviceAccount)
                .withNamespace(namespace)
                .endMetadata()
                .build());
        return admin.serviceAccounts()
                .inNamespace(namespace)
                .withName(serviceAccount)
                .tokenRequest(new TokenRequestBuilder()
                        .withNewSpec()
                        .withExpirationSeconds(3600L)
                        .endSpec()
                        .build())
                .getStatus()
                .getToken();
    }

    /** Creates the namespace with these labels (e.g. Pod Security enforce=restricted) unless it exists. */
    public void ensureNamespace(String name, Map<String, String> labels) {
        createIfMissing(new NamespaceBuilder()
                .withNewMetadata()
                .withName(name)
                .withLabels(labels)
                .endMetadata()
                .build());
    }

    private void createIfMissing(HasMetadata object) {
        try {
            admin.resource(object).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
        }
    }

    /** Labels that make Pod Security admission enforce the restricted profile in a namespace. */
    public static Map<String, String> restricted() {
        return Map.of(
                "pod-security.kubernetes.io/enforce",
                "restricted",
                "pod-security.kubernetes.io/enforce-version",
                "latest");
    }

    public Kubectl kubectl() {
        return new Kubectl(binaries.kubectl(), kubeconfig());
    }

    /** A kubeconfig for the admin identity (for kubectl or any other client). */
    public Path kubeconfig() {
        return dir.resolve("admin.kubeconfig");
    }

    public AuditLog auditLog() {
        return new AuditLog(ControlPlaneFiles.at(dir).auditLog());
    }

    public String url() {
        return url;
    }

    /** The CA that verifies the API server's serving certificate. */
    public Path caCert() {
        return ControlPlaneFiles.at(dir).servingCert();
    }

    /** Stops every process (controller manager, API server, etcd) and removes the data directory. */
    @Override
    public void close() {
        synchronized (clients) {
            clients.forEach(KubernetesClient::close);
            clients.clear();
        }
        if (admin != null) {
            admin.close();
        }
        for (int i = processes.size() - 1; i >= 0; i--) {
            processes.get(i).close();
        }
        processes.clear();
        ControlPlaneFiles.delete(dir);
    }

    private static Path tempDir() {
        Path shm = Path.of("/dev/shm");
        try {
            return Files.isWritable(shm)
                    ? Files.createTempDirectory(shm, "collab-cp-")
                    : Files.createTempDirectory("collab-cp-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
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
