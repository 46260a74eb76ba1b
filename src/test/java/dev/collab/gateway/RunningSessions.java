package dev.collab.gateway;

import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.CollabSessionStatus;
import dev.collab.api.SessionPhase;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;

/** Gateway tests on the Fabric8 mock: sessions as the operator would have left them (Running, at an endpoint). */
final class RunningSessions {
    private RunningSessions() {}

    /** Creates the session and writes status Running with {@code endpoint} (null: none published). */
    static void create(KubernetesClient client, String ns, String name, CollabSessionSpec spec, String endpoint) {
        client.resource(new CollabSession(ns, name, spec)).create();
        CollabSession cs = client.resources(CollabSession.class)
                .inNamespace(ns)
                .withName(name)
                .get();
        CollabSessionStatus status = new CollabSessionStatus();
        status.setPhase(SessionPhase.Running);
        status.setEndpoint(endpoint);
        cs.setStatus(status);
        client.resource(cs).updateStatus();
    }

    static void await(String what, BooleanSupplier condition) {
        Awaitility.await(what)
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(20))
                .until(condition::getAsBoolean);
    }
}
