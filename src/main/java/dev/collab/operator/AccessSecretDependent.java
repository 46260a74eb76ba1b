package dev.collab.operator;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.OwnerReferences;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.ArrayList;
import java.util.List;

/** Create-only dependent: the `<name>-access` Secret is generated once and never rewritten. */
final class AccessSecretDependent {
    private final InformerEventSource<Secret, CollabSession> secrets;

    AccessSecretDependent(InformerEventSource<Secret, CollabSession> secrets) {
        this.secrets = secrets;
    }

    Secret current(CollabSession session, WorkerNames names) {
        return Children.cached(secrets, session.getMetadata().getNamespace(), names.accessSecret())
                .orElse(null);
    }

    /**
     * Creates it with a fresh token and password; null when it exists already (not yet in the cache). A Secret of that
     * name that is not the session's throws {@link ChildOwnership.Foreign}: its token would be someone else's.
     */
    Secret create(CollabSession session, WorkerNames names, KubernetesClient client) {
        Secret desired = AccessSecretBuilder.desired(session);
        desired.getMetadata().setName(names.accessSecret());
        boolean claimedWorker = !names.pod().equals(session.getMetadata().getName());
        return Children.createOnce(
                client, secrets, desired, existing -> ChildOwnership.usable(existing, session, claimedWorker));
    }

    /**
     * Adopts a claimed warm worker's Secret (its opencode already runs with that server password): labelled with the
     * session and owned by it, its data untouched.
     */
    Secret adopt(CollabSession session, Secret existing, KubernetesClient client) {
        Secret updated = client.secrets().resource(existing).edit(secret -> {
            secret.getMetadata().setOwnerReferences(new ArrayList<>(List.of(OwnerReferences.controller(session))));
            ChildMetadata.labelFor(secret.getMetadata(), session, CollabLabels.ROLE_ACCESS);
            return secret;
        });
        secrets.handleRecentResourceUpdate(ResourceID.fromResource(updated), updated, existing);
        return updated;
    }
}
