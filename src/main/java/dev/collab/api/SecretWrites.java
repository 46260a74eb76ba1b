package dev.collab.api;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.function.UnaryOperator;

/**
 * The one way credential Secrets are edited by more than one writer (gateway replicas refreshing tokens and
 * publishing pool state, router replicas adding and managing accounts): an update carrying the resourceVersion it was
 * read at, which the API server refuses with 409 when anyone wrote in between. Exactly one writer wins each write;
 * the others read again and decide again, so no edit is lost. Blocking: worker threads only.
 */
public final class SecretWrites {
    private final KubernetesClient client;

    public SecretWrites(KubernetesClient client) {
        this.client = client;
    }

    public Secret get(String namespace, String name) {
        return client.secrets().inNamespace(namespace).withName(name).get();
    }

    /** The Secret after {@code edit} applied to {@code read}, or null when another writer came first. */
    public Secret update(Secret read, UnaryOperator<SecretBuilder> edit) {
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

    /** The created Secret, or null when one of that name appeared meanwhile (read it and update instead). */
    public Secret create(Secret secret) {
        try {
            return client.secrets()
                    .inNamespace(secret.getMetadata().getNamespace())
                    .resource(secret)
                    .create();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                return null;
            }
            throw e;
        }
    }

    public static UnaryOperator<SecretBuilder> annotate(String key, String value) {
        return b -> b.editMetadata().addToAnnotations(key, value).endMetadata();
    }
}
