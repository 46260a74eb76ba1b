package dev.collab.bench;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Map;

/**
 * The API server a scale run talks to: the Fabric8 mock ({@link MockScaleApi}) or the real control plane
 * ({@link RealScaleApi}). Both count the operator's requests the same way, so one table compares them.
 */
interface ScaleApi extends AutoCloseable {
    /** "mock" or "real": the table's column prefix. */
    String label();

    /** The bench's own client (its requests are not the operator's). */
    KubernetesClient client();

    /** -D flags that point the packaged operator at this API server with its identity. */
    List<String> operatorFlags();

    /** Environment of the operator process (HOSTNAME is its leader-election identity). */
    Map<String, String> operatorEnv();

    /** Operator requests so far, keyed "operator VERB kind" (VERB: POST PUT PATCH DELETE GET LIST WATCH). */
    Map<String, Long> snapshot();

    /** CPU seconds the API server (and etcd) used so far; negative when they run inside the bench JVM. */
    double serverCpuSeconds();

    /**
     * Whether the fake kubelet must write pod status through the status subresource (a real API server ignores
     * status in a plain update) and cannot point the operator at the fake opencode with the local-mode annotation.
     */
    boolean real();

    @Override
    void close();
}
