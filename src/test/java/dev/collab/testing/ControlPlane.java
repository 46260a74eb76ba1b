package dev.collab.testing;

import dev.collab.local.controlplane.ControlPlaneBinaries;
import dev.collab.local.controlplane.ControlPlaneFiles;
import dev.collab.local.controlplane.KubeControlPlane;
import dev.collab.local.controlplane.NodeSupport;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A real Kubernetes control plane on loopback for the {@code *ControlPlaneIT} tier: etcd (data in a temp dir,
 * on tmpfs where there is one), kube-apiserver (RBAC, the default admission plugins including PodSecurity and
 * ServiceAccount, a service-account issuer and signing key so TokenRequest works, an audit log of every write)
 * and kube-controller-manager (garbage collector, namespace, serviceaccount and the other default controllers).
 * There is no scheduler, kubelet or container runtime: pods are admitted and stored but never run.
 *
 * <p>The processes are {@link KubeControlPlane}'s, as local mode runs them; this adds the test identities. Use it
 * through {@link ControlPlaneExtension}, which starts one per test run and skips when the binaries of
 * {@code tools/control-plane/build.sh} are absent. Identities: the admin (group system:masters, static token)
 * and any ServiceAccount via {@link #clientAs}, whose token comes from the TokenRequest API, and any user via
 * {@link #clientImpersonating}.
 */
public final class ControlPlane implements AutoCloseable {
    public static final String ADMIN = KubeControlPlane.ADMIN;
    private final KubeControlPlane plane;
    private final Path dir;
    private final List<KubernetesClient> clients = new ArrayList<>();
    private final KubernetesClient admin;

    private ControlPlane(KubeControlPlane plane) {
        this.plane = plane;
        this.dir = plane.dir();
        this.admin = plane.newClient(plane.adminToken());
    }

    /** Starts etcd, kube-apiserver (with an audit log) and kube-controller-manager in a temp dir. */
    public static ControlPlane start(ControlPlaneBinaries binaries) {
        return start(binaries, new KubeControlPlane.Options(0, "*", true));
    }

    /** A control plane for a real node: see {@link NodeSupport}; the API server on port 6443 of the node's address. */
    public static ControlPlane startForNode(ControlPlaneBinaries binaries, NodeSupport node) {
        return start(binaries, new KubeControlPlane.Options(6443, "*", true, node));
    }

    private static ControlPlane start(ControlPlaneBinaries binaries, KubeControlPlane.Options options) {
        Path dir = tempDir();
        try {
            return new ControlPlane(KubeControlPlane.start(binaries, dir, options));
        } catch (RuntimeException | Error e) {
            ControlPlaneFiles.delete(dir);
            throw e;
        }
    }

    /** The last lines of every process log (for failure messages). */
    public String logs() {
        return plane.logs();
    }

    /** A cluster-admin client (group system:masters). Closed by {@link #close}. */
    public KubernetesClient admin() {
        return admin;
    }

    /**
     * A client whose identity is the ServiceAccount (created if missing), with a token from TokenRequest, so
     * only the RBAC granted to {@code system:serviceaccount:<namespace>:<name>} applies. Closed by {@link #close}.
     */
    public KubernetesClient clientAs(String namespace, String serviceAccount) {
        // its default namespace is the ServiceAccount's, as in a pod (the mounted namespace file)
        KubernetesClient client = new io.fabric8.kubernetes.client.KubernetesClientBuilder()
                .withConfig(new io.fabric8.kubernetes.client.ConfigBuilder(
                                plane.clientConfig(token(namespace, serviceAccount)))
                        .withNamespace(namespace)
                        .build())
                .build();
        synchronized (clients) {
            clients.add(client);
        }
        return client;
    }

    /**
     * A client acting as the user {@code user} in {@code groups} (the admin impersonates it), so only the RBAC and
     * admission rules of that identity apply: a person, where {@link #clientAs} gives a ServiceAccount. Closed by
     * {@link #close}.
     */
    public KubernetesClient clientImpersonating(String user, String... groups) {
        KubernetesClient client = new io.fabric8.kubernetes.client.KubernetesClientBuilder()
                .withConfig(new io.fabric8.kubernetes.client.ConfigBuilder(plane.clientConfig(plane.adminToken()))
                        .withImpersonateUsername(user)
                        .withImpersonateGroups(groups)
                        .build())
                .build();
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
        return KubeControlPlane.restricted();
    }

    public Kubectl kubectl() {
        return new Kubectl(plane.binaries().kubectl(), kubeconfig());
    }

    /** A kubeconfig for the admin identity (for kubectl or any other client). */
    public Path kubeconfig() {
        return plane.kubeconfig();
    }

    public AuditLog auditLog() {
        return new AuditLog(plane.auditLog());
    }

    public String url() {
        return plane.url();
    }

    public String adminToken() {
        return plane.adminToken();
    }

    /** The CA that verifies the API server's serving certificate. */
    public Path caCert() {
        return plane.caCert();
    }

    /** Stops every process (controller manager, API server, etcd) and removes the data directory. */
    @Override
    public void close() {
        synchronized (clients) {
            clients.forEach(KubernetesClient::close);
            clients.clear();
        }
        admin.close();
        plane.close();
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
}
