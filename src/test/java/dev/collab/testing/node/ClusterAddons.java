package dev.collab.testing.node;

import dev.collab.testing.ControlPlane;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** What a cluster has besides its node: CoreDNS as kube-dns, the default StorageClass and its local volumes. */
final class ClusterAddons {
    /** Local volumes made at start: enough for the tier's sessions (each PVC binds one, kept after release). */
    static final int VOLUMES = 120;

    private ClusterAddons() {}

    static void install(ControlPlane plane, NodeLayout layout, NodeImages images) {
        KubernetesClient admin = plane.admin();
        String manifest = resource("coredns.yaml")
                .replace("${COREDNS_IMAGE}", images.coredns())
                .replace("${CLUSTER_DNS}", NodeLayout.CLUSTER_DNS);
        admin.load(new ByteArrayInputStream(manifest.getBytes(StandardCharsets.UTF_8)))
                .items()
                .forEach(o -> admin.resource(o).create());
        for (int i = 0; i < VOLUMES; i++) {
            admin.persistentVolumes().resource(localVolume(layout, i)).create();
        }
        Instant deadline = Instant.now().plus(Duration.ofSeconds(120));
        while (Instant.now().isBefore(deadline)) {
            Deployment dns = admin.apps()
                    .deployments()
                    .inNamespace("kube-system")
                    .withName("coredns")
                    .get();
            Integer ready = dns == null || dns.getStatus() == null
                    ? null
                    : dns.getStatus().getReadyReplicas();
            if (ready != null && ready > 0) {
                return;
            }
            RealNode.sleep(500);
        }
        throw new IllegalStateException("CoreDNS not ready within 120 s");
    }

    private static PersistentVolume localVolume(NodeLayout layout, int i) {
        Path dir = layout.volumes().resolve("pv-" + i);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new PersistentVolumeBuilder()
                .withNewMetadata()
                .withName("local-" + i)
                .endMetadata()
                .withNewSpec()
                .withCapacity(java.util.Map.of("storage", new Quantity("10Gi")))
                .withAccessModes("ReadWriteOnce")
                .withPersistentVolumeReclaimPolicy("Retain")
                .withStorageClassName("local")
                .withNewLocal()
                .withPath(dir.toString())
                .endLocal()
                .withNewNodeAffinity()
                .withNewRequired()
                .addNewNodeSelectorTerm()
                .addNewMatchExpression()
                .withKey("kubernetes.io/hostname")
                .withOperator("In")
                .withValues(List.of(layout.nodeName()))
                .endMatchExpression()
                .endNodeSelectorTerm()
                .endRequired()
                .endNodeAffinity()
                .endSpec()
                .build();
    }

    private static String resource(String name) {
        try (InputStream in = ClusterAddons.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
