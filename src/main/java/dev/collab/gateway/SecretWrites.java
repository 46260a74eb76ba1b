package dev.collab.gateway;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.function.UnaryOperator;

/**
 * Writes to a credential Secret with optimistic concurrency: an update carrying the resourceVersion it was read at,
 * which the API server refuses with 409 when anyone wrote in between. Of several gateway replicas exactly one wins
 * each write; the others read again and decide again. Blocking: worker threads only.
 */
final class SecretWrites {
    private final KubernetesClient client;

    SecretWrites(KubernetesClient client) {
        this.client = client;
    }

    Secret get(String namespace, String name) {
        return client.secrets().inNamespace(namespace).withName(name).get();
    }

    /** The Secret after {@code edit} applied to {@code read}, or null when another writer came first. */
    Secret update(Secret read, UnaryOperator<SecretBuilder> edit) {
        Secret next = edit.apply(new SecretBuilder(read)).build();
        next.getMetadata().setResourceVersion(read.getMetadata().getResourceVersion());
        try {
            return client.secrets()
                    .inNamespace(read.getMetadata().getNamespace())
                    .resource(next)
                    .update();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                return null;
            }
            throw e;
        }
    }

    static UnaryOperator<SecretBuilder> annotate(String key, String value) {
        return b -> b.editMetadata().addToAnnotations(key, value).endMetadata();
    }
}
