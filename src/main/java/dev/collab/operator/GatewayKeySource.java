package dev.collab.operator;

import dev.collab.api.CollabLabels;
import dev.collab.api.Placeholders;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.jboss.logging.Logger;

/**
 * The gateway key (Secret `collab-gateway-key` in the operator's namespace, key `key`) that signs placeholders.
 * Created with 32 random bytes when missing, so no default key ever ships; read once and kept. Deleting the Secret
 * rotates it: the operator picks the new key up after a restart (the gateway watches it), and every Gateway-mode pod
 * is replaced because its placeholder files change.
 */
final class GatewayKeySource {
    private static final Logger LOG = Logger.getLogger(GatewayKeySource.class);
    private final String secretName;
    private final KubernetesClient client;
    private final AtomicReference<byte[]> key = new AtomicReference<>();

    GatewayKeySource(String secretName, KubernetesClient client) {
        this.secretName = secretName;
        this.client = client;
    }

    /**
     * The key, or empty when it can be neither read nor created (the session reports it in a condition). The one
     * write outside the apply step: creating the cluster's key once, before any placeholder can exist.
     */
    Optional<byte[]> get() {
        byte[] known = key.get();
        if (known != null) {
            return Optional.of(known);
        }
        String namespace = client.getNamespace() == null ? "default" : client.getNamespace();
        try {
            byte[] loaded = Placeholders.keyFrom(
                    client.secrets().inNamespace(namespace).withName(secretName).get());
            if (loaded == null) {
                byte[] fresh = new byte[32];
                new SecureRandom().nextBytes(fresh);
                try {
                    client.secrets()
                            .inNamespace(namespace)
                            .resource(new SecretBuilder()
                                    .withNewMetadata()
                                    .withName(secretName)
                                    .addToLabels(CollabLabels.PART_OF, CollabLabels.PART_OF_VALUE)
                                    .endMetadata()
                                    .addToData(
                                            Placeholders.KEY_DATA_KEY,
                                            Base64.getEncoder().encodeToString(fresh))
                                    .build())
                            .create();
                    LOG.infof("created the gateway key Secret %s/%s", namespace, secretName);
                    loaded = fresh;
                } catch (KubernetesClientException e) {
                    if (!Children.isConflict(e)) {
                        throw e;
                    }
                    loaded = Placeholders.keyFrom(client.secrets()
                            .inNamespace(namespace)
                            .withName(secretName)
                            .get());
                }
            }
            if (loaded != null) {
                key.compareAndSet(null, loaded);
            }
            return Optional.ofNullable(key.get());
        } catch (KubernetesClientException e) {
            LOG.warnf("cannot read or create the gateway key Secret %s/%s: %s", namespace, secretName, e.getMessage());
            return Optional.empty();
        }
    }
}
