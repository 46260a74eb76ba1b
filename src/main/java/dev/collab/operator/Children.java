package dev.collab.operator;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.net.HttpURLConnection;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/** Shared plumbing of the dependents: cache lookups and "create once, tolerate a concurrent create". */
final class Children {

    private Children() {}

    static <R extends HasMetadata> Optional<R> cached(
            InformerEventSource<R, CollabSession> source, String namespace, String name) {
        return source.get(new ResourceID(name, namespace));
    }

    /** Maps a child to its session through the collab.dev/session label (works for unowned PVCs too). */
    static Set<ResourceID> sessionOf(HasMetadata child) {
        Map<String, String> labels = child.getMetadata().getLabels();
        String session = labels == null ? null : labels.get(CollabLabels.SESSION);
        return session == null
                ? Set.of()
                : Set.of(new ResourceID(session, child.getMetadata().getNamespace()));
    }

    /**
     * Creates the child and puts it in the informer's cache so the next reconcile sees it. Null when it
     * already exists (created by an earlier reconcile whose event has not reached the cache): never overwritten.
     */
    static <R extends HasMetadata, P extends HasMetadata> R createOnce(
            KubernetesClient client, InformerEventSource<R, P> source, R desired) {
        try {
            R created = client.resource(desired).create();
            source.handleRecentResourceCreate(ResourceID.fromResource(created), created);
            return created;
        } catch (KubernetesClientException e) {
            if (isConflict(e)) {
                return null;
            }
            throw e;
        }
    }

    /**
     * As {@link #createOnce(KubernetesClient, InformerEventSource, HasMetadata)}, but a 409 is "already exists" only
     * when the object under that name is `ours` (read back from the API: a foreign object carries no child labels,
     * so no cache holds it). Someone else's object throws {@link ChildOwnership.Foreign}: it is never used.
     */
    static <R extends HasMetadata, P extends HasMetadata> R createOnce(
            KubernetesClient client, InformerEventSource<R, P> source, R desired, Predicate<R> ours) {
        try {
            R created = client.resource(desired).create();
            source.handleRecentResourceCreate(ResourceID.fromResource(created), created);
            return created;
        } catch (KubernetesClientException e) {
            if (!isConflict(e)) {
                throw e;
            }
            R existing = client.resource(desired).get();
            if (existing != null && !ours.test(existing)) {
                throw new ChildOwnership.Foreign(existing);
            }
            return null;
        }
    }

    static boolean isConflict(KubernetesClientException e) {
        return e.getCode() == HttpURLConnection.HTTP_CONFLICT;
    }

    static boolean isNotFound(KubernetesClientException e) {
        return e.getCode() == HttpURLConnection.HTTP_NOT_FOUND;
    }
}
