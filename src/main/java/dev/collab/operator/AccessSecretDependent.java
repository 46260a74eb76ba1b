package dev.collab.operator;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;

/** Create-only dependent: the `<name>-access` Secret is generated once and never rewritten. */
final class AccessSecretDependent {
    private final InformerEventSource<Secret, CollabSession> secrets;

    AccessSecretDependent(InformerEventSource<Secret, CollabSession> secrets) {
        this.secrets = secrets;
    }

    Secret current(CollabSession session) {
        return Children.cached(secrets, session.getMetadata().getNamespace(),
                CollabLabels.accessSecretName(session.getMetadata().getName())).orElse(null);
    }

    /** Ensures the Secret exists; returns it. */
    Secret reconcile(CollabSession session, KubernetesClient client) {
        Secret existing = current(session);
        if (existing != null) {
            return existing;
        }
        Secret desired = AccessSecretBuilder.desired(session);
        try {
            Secret created = client.secrets().resource(desired).create();
            secrets.handleRecentResourceCreate(ResourceID.fromResource(created), created);
            return created;
        } catch (KubernetesClientException e) {
            if (Children.isConflict(e)) {
                // Created by an earlier reconcile whose event has not reached the cache yet: never overwrite it.
                return null;
            }
            throw e;
        }
    }
}
