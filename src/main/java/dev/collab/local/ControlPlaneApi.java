package dev.collab.local;

import dev.collab.local.controlplane.ControlPlaneBinaries;
import dev.collab.local.controlplane.ControlPlaneFiles;
import dev.collab.local.controlplane.KubeControlPlane;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Local mode on the real control plane: etcd (data in {@code <data-dir>/control-plane/etcd}, so sessions survive a
 * restart), kube-apiserver on 127.0.0.1 (TLS, RBAC, admission including PodSecurity) and kube-controller-manager.
 * At start it installs the committed CRDs (packaged from {@code crds/}) and labels the session namespace Pod Security
 * {@code restricted} (enforce), as {@code deploy/namespaces.yaml} does on a cluster. The PersistentVolume binder is
 * off: the local node's volume binder ({@link LocalControllers}) provisions the session folders instead.
 */
public final class ControlPlaneApi implements LocalApi {
    private static final Logger LOG = Logger.getLogger(ControlPlaneApi.class);
    static final String CONTROLLERS = "*,-persistentvolume-binder-controller";
    static final List<String> CRDS =
            List.of("collabsessions.collab.dev-v1.yml", "collabsessionpools.collab.dev-v1.yml");

    private final KubeControlPlane plane;
    private final Path dataDir;
    private final String namespace;

    private ControlPlaneApi(KubeControlPlane plane, Path dataDir, String namespace) {
        this.plane = plane;
        this.dataDir = dataDir;
        this.namespace = namespace;
    }

    /** Starts the control plane in {@code <data-dir>/control-plane}, installs the CRDs, prepares the namespace. */
    public static ControlPlaneApi start(ControlPlaneBinaries binaries, Path dataDir, String namespace, int port) {
        Path dir = dataDir.resolve("control-plane");
        try {
            Files.createDirectories(dir);
            ApiStateStore.restrict(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        long started = System.nanoTime();
        KubeControlPlane plane =
                KubeControlPlane.start(binaries, dir, new KubeControlPlane.Options(port, CONTROLLERS, false));
        ControlPlaneApi api = new ControlPlaneApi(plane, dataDir, namespace);
        try (KubernetesClient client = api.newClient()) {
            installCrds(client);
            ensureRestrictedNamespace(client, namespace);
        } catch (RuntimeException e) {
            plane.close();
            throw e;
        }
        LOG.infof(
                "control plane up in %d ms (etcd data in %s)",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), dir.resolve("etcd"));
        return api;
    }

    /** Applies the packaged CRDs (server-side, idempotent) and waits until the API server serves them. */
    static void installCrds(KubernetesClient client) {
        for (String file : CRDS) {
            CustomResourceDefinition crd;
            try (InputStream in = ControlPlaneApi.class.getResourceAsStream("/crds/" + file)) {
                if (in == null) {
                    throw new IllegalStateException("crds/" + file + " is not packaged with the app");
                }
                crd = client.apiextensions()
                        .v1()
                        .customResourceDefinitions()
                        .load(in)
                        .item();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            client.resource(crd).fieldManager("collab-local").forceConflicts().serverSideApply();
            client.apiextensions()
                    .v1()
                    .customResourceDefinitions()
                    .withName(crd.getMetadata().getName())
                    .waitUntilCondition(
                            c -> c != null
                                    && c.getStatus() != null
                                    // a status can be written before its first condition (seen in a CI rehearsal)
                                    && c.getStatus().getConditions() != null
                                    && c.getStatus().getConditions().stream()
                                            .anyMatch(x ->
                                                    "Established".equals(x.getType()) && "True".equals(x.getStatus())),
                            60,
                            TimeUnit.SECONDS);
        }
    }

    /**
     * The session namespace with Pod Security {@code restricted} enforced, and its default ServiceAccount (created by
     * the controller manager; the ServiceAccount admission plugin rejects pods until it exists).
     */
    static void ensureRestrictedNamespace(KubernetesClient client, String namespace) {
        Namespace ns = new NamespaceBuilder()
                .withNewMetadata()
                .withName(namespace)
                .withLabels(KubeControlPlane.restricted())
                .addToLabels("app.kubernetes.io/part-of", "collab")
                .endMetadata()
                .build();
        client.resource(ns).fieldManager("collab-local").forceConflicts().serverSideApply();
        client.serviceAccounts()
                .inNamespace(namespace)
                .withName("default")
                .waitUntilCondition(sa -> sa != null, 60, TimeUnit.SECONDS);
    }

    @Override
    public String description() {
        return "real control plane (etcd, kube-apiserver, kube-controller-manager from "
                + plane.binaries().dir() + ")";
    }

    @Override
    public String url() {
        return plane.url();
    }

    @Override
    public String namespace() {
        return namespace;
    }

    @Override
    public Config clientConfig() {
        return new ConfigBuilder(plane.clientConfig(plane.adminToken()))
                .withNamespace(namespace)
                .build();
    }

    @Override
    public Map<String, String> quarkusClientProperties() {
        return Map.of(
                "quarkus.kubernetes-client.api-server-url", plane.url(),
                "quarkus.kubernetes-client.ca-cert-file", plane.caCert().toString(),
                "quarkus.kubernetes-client.token", plane.adminToken(),
                "quarkus.kubernetes-client.trust-certs", "false");
    }

    /** kubectl and Fabric8 both read it: the API server's CA, the admin token (new each start), the namespace. */
    @Override
    public Path writeKubeconfig() throws IOException {
        Path file = dataDir.resolve("kubeconfig");
        ControlPlaneFiles.kubeconfig(file, plane.url(), plane.caCert(), plane.adminToken(), namespace);
        return file;
    }

    /** The kubectl that was built with the control plane. */
    public Path kubectl() {
        return plane.binaries().kubectl();
    }

    @Override
    public void flush() {
        // etcd writes through
    }

    @Override
    public void close() {
        plane.close();
        LOG.info("control plane stopped (etcd data kept)");
    }
}
