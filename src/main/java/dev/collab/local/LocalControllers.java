package dev.collab.local;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionPool;
import dev.collab.api.InformerHandlers;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * What a cluster's control plane does and the embedded API does not (docs/STYLE.md: no garbage collection, no
 * provisioner), for the objects of CollabSessions and CollabSessionPools only:
 * <ul>
 * <li>garbage collection: when a CollabSession is deleted, its pods, Secrets and PVCs owned by it (owner
 * reference with its uid) are deleted;</li>
 * <li>volume binding: a session PVC is marked Bound at once (its volume is the folder
 * {@code <session-dir>/home}); when the PVC is deleted, the session folder is deleted (reclaim policy Delete).</li>
 * </ul>
 */
public final class LocalControllers implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(LocalControllers.class);
    private final KubernetesClient client;
    private final LocalNodeSettings settings;
    private final List<SharedIndexInformer<?>> informers = new ArrayList<>();

    public LocalControllers(KubernetesClient client, LocalNodeSettings settings) {
        this.client = client;
        this.settings = settings;
    }

    public void start() {
        informers.add(client.resources(CollabSession.class)
                .inAnyNamespace()
                .inform(InformerHandlers.<CollabSession>of(s -> {}, this::collect), 0));
        informers.add(client.resources(CollabSessionPool.class)
                .inAnyNamespace()
                .inform(InformerHandlers.<CollabSessionPool>of(p -> {}, this::collectPool), 0));
        informers.add(client.persistentVolumeClaims()
                .inAnyNamespace()
                .withLabel(CollabLabels.MANAGED_BY, CollabLabels.MANAGED_BY_VALUE)
                .inform(InformerHandlers.of(this::bind, this::reclaim), 0));
    }

    /** Deletes the children of a deleted session (background propagation, as the garbage collector would). */
    void collect(CollabSession session) {
        String ns = session.getMetadata().getNamespace();
        String uid = session.getMetadata().getUid();
        String name = session.getMetadata().getName();
        List<HasMetadata> children = new ArrayList<>();
        try {
            children.addAll(client.pods()
                    .inNamespace(ns)
                    .withLabel(CollabLabels.SESSION, name)
                    .list()
                    .getItems());
            children.addAll(client.secrets()
                    .inNamespace(ns)
                    .withLabel(CollabLabels.SESSION, name)
                    .list()
                    .getItems());
            children.addAll(client.persistentVolumeClaims()
                    .inNamespace(ns)
                    .withLabel(CollabLabels.SESSION, name)
                    .list()
                    .getItems());
            for (HasMetadata child : children) {
                boolean owned = child.getMetadata().getOwnerReferences() != null
                        && child.getMetadata().getOwnerReferences().stream()
                                .anyMatch(r -> uid != null && uid.equals(r.getUid()));
                if (owned) {
                    LOG.infof(
                            "local garbage collector: deleting %s %s/%s of deleted session %s",
                            child.getKind(), ns, child.getMetadata().getName(), name);
                    client.resource(child).delete();
                }
            }
        } catch (KubernetesClientException e) {
            LOG.warnf("local garbage collector: children of %s/%s not deleted: %s", ns, name, e.getMessage());
        }
    }

    /** Deletes the warm workers of a deleted pool (its claimed workers belong to their sessions by then). */
    void collectPool(CollabSessionPool pool) {
        String ns = pool.getMetadata().getNamespace();
        String uid = pool.getMetadata().getUid();
        List<HasMetadata> children = new ArrayList<>();
        try {
            children.addAll(client.pods()
                    .inNamespace(ns)
                    .withLabel(CollabLabels.POOL, pool.getMetadata().getName())
                    .list()
                    .getItems());
            children.addAll(client.secrets()
                    .inNamespace(ns)
                    .withLabel(CollabLabels.POOL, pool.getMetadata().getName())
                    .list()
                    .getItems());
            children.addAll(client.persistentVolumeClaims()
                    .inNamespace(ns)
                    .withLabel(CollabLabels.POOL, pool.getMetadata().getName())
                    .list()
                    .getItems());
            for (HasMetadata child : children) {
                if (child.getMetadata().getOwnerReferences() != null
                        && child.getMetadata().getOwnerReferences().stream()
                                .anyMatch(r -> uid != null && uid.equals(r.getUid()))) {
                    client.resource(child).delete();
                }
            }
        } catch (KubernetesClientException e) {
            LOG.warnf(
                    "local garbage collector: workers of pool %s/%s not deleted: %s",
                    ns, pool.getMetadata().getName(), e.getMessage());
        }
    }

    /** The worker whose HOME a claim {@code <x>-home} is (a session, or a pool's warm worker), or null. */
    static String homeOwner(String claimName) {
        String suffix = CollabLabels.homeClaimName("");
        return claimName.endsWith(suffix) && claimName.length() > suffix.length()
                ? claimName.substring(0, claimName.length() - suffix.length())
                : null;
    }

    private void bind(PersistentVolumeClaim pvc) {
        if (pvc.getStatus() != null && "Bound".equals(pvc.getStatus().getPhase())) {
            return;
        }
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("phase", "Bound");
        status.put(
                "accessModes", pvc.getSpec() == null ? List.of() : pvc.getSpec().getAccessModes());
        Quantity size = pvc.getSpec() == null
                        || pvc.getSpec().getResources() == null
                        || pvc.getSpec().getResources().getRequests() == null
                ? null
                : pvc.getSpec().getResources().getRequests().get("storage");
        if (size != null) {
            status.put("capacity", Map.of("storage", size.toString()));
        }
        try {
            client.persistentVolumeClaims()
                    .inNamespace(pvc.getMetadata().getNamespace())
                    .withName(pvc.getMetadata().getName())
                    .subresource("status")
                    .patch(
                            PatchContext.of(PatchType.JSON),
                            "[{\"op\":\"add\",\"path\":\"/status\",\"value\":" + Serialization.asJson(status) + "}]");
        } catch (KubernetesClientException e) {
            LOG.debugf(
                    "local volume binder: %s not bound: %s", pvc.getMetadata().getName(), e.getMessage());
        }
    }

    private void reclaim(PersistentVolumeClaim pvc) {
        String worker = homeOwner(pvc.getMetadata().getName());
        if (worker == null) {
            return;
        }
        var dir = settings.sessionDir(pvc.getMetadata().getNamespace(), worker);
        LOG.infof(
                "local volume binder: claim %s deleted, deleting the session folder %s",
                pvc.getMetadata().getName(), dir);
        PodFiles.deleteTree(dir);
        // A session on a claimed warm worker keeps its pod files (materialised Secrets, log) in its own folder.
        String session = pvc.getMetadata().getLabels() == null
                ? null
                : pvc.getMetadata().getLabels().get(CollabLabels.SESSION);
        if (session != null && !session.equals(worker)) {
            PodFiles.deleteTree(settings.sessionDir(pvc.getMetadata().getNamespace(), session));
        }
    }

    @Override
    public void close() {
        informers.forEach(SharedIndexInformer::close);
        informers.clear();
    }
}
