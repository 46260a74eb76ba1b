package dev.collab.operator;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;

/** Create-only dependent: the `<name>-access` Secret is generated once and never rewritten. */
final class AccessSecretDependent {
    private final InformerEventSource<Secret, CollabSession> secrets;

    AccessSecretDependent(InformerEventSource<Secret, CollabSession> secrets) {
        this.secrets = secrets;
    }

    Secret current(CollabSession session) {
        return Children.cached(
                        secrets,
                        session.getMetadata().getNamespace(),
                        CollabLabels.accessSecretName(session.getMetadata().getName()))
                .orElse(null);
    }

    /** Creates it with a fresh token and password; null when it exists already (not yet in the cache). */
    Secret create(CollabSession session, KubernetesClient client) {
        return Children.createOnce(client, secrets, AccessSecretBuilder.desired(session));
    }
}
