package dev.collab.api;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Instant;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Kubernetes Events on a CollabSession, recorded by the operator and the credential gateway. Messages are built from
 * names and reasons only, never from Secret data. Best effort: a lost Event must not fail what caused it.
 */
public final class CollabEvents {
    private static final Logger LOG = Logger.getLogger(CollabEvents.class);

    private CollabEvents() {}

    public static void emit(
            KubernetesClient client,
            String component,
            HasMetadata session,
            String reason,
            String message,
            boolean warning,
            Instant now) {
        String ns = session.getMetadata().getNamespace();
        try {
            client.v1()
                    .events()
                    .inNamespace(ns)
                    .resource(new EventBuilder()
                            .withNewMetadata()
                            .withName(session.getMetadata().getName() + "."
                                    + UUID.randomUUID().toString().substring(0, 8))
                            .withNamespace(ns)
                            .endMetadata()
                            .withNewInvolvedObject()
                            .withApiVersion(session.getApiVersion())
                            .withKind(session.getKind())
                            .withName(session.getMetadata().getName())
                            .withNamespace(ns)
                            .withUid(session.getMetadata().getUid())
                            .withResourceVersion(session.getMetadata().getResourceVersion())
                            .endInvolvedObject()
                            .withReason(reason)
                            .withMessage(message)
                            .withType(warning ? "Warning" : "Normal")
                            .withNewSource()
                            .withComponent(component)
                            .endSource()
                            .withReportingComponent(component)
                            .withFirstTimestamp(now.toString())
                            .withLastTimestamp(now.toString())
                            .withCount(1)
                            .build())
                    .create();
        } catch (RuntimeException e) {
            LOG.debugf(
                    "could not record event %s for %s/%s: %s",
                    reason, ns, session.getMetadata().getName(), e.getMessage());
        }
        LOG.infof("%s/%s %s: %s", ns, session.getMetadata().getName(), reason, message);
    }
}
