package dev.collab.local;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** The Kubernetes API local mode runs on: the real control plane ({@link ControlPlaneApi}) or the {@link EmbeddedApi}. */
public interface LocalApi extends AutoCloseable {
    /** What runs, for the startup line. */
    String description();

    String url();

    String namespace();

    /** An admin client configuration (Fabric8), in {@link #namespace()}. */
    Config clientConfig();

    default KubernetesClient newClient() {
        return new KubernetesClientBuilder().withConfig(clientConfig()).build();
    }

    /** The quarkus.kubernetes-client.* keys that point the app's client at this API. */
    Map<String, String> quarkusClientProperties();

    /** Writes {@code <data-dir>/kubeconfig} (owner only) and returns its path. */
    Path writeKubeconfig() throws IOException;

    /** Persists what is not yet on disk (the embedded API's state; etcd persists by itself). */
    void flush();

    /** Stops the API (state kept). Idempotent. */
    @Override
    void close();
}
