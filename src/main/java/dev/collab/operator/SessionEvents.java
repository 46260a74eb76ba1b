package dev.collab.operator;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Instant;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Kubernetes Events on the CollabSession for every transition. Messages are built by the operator from
 * names and reasons only: never from Secret data.
 */
final class SessionEvents {
    private static final Logger LOG = Logger.getLogger(SessionEvents.class);
    static final String COMPONENT = "collab-session-operator";

    private SessionEvents() {}

    static void emit(
            KubernetesClient client, HasMetadata session, String reason, String message, boolean warning, Instant now) {
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
                            .withComponent(COMPONENT)
                            .endSource()
                            .withReportingComponent(COMPONENT)
                            .withFirstTimestamp(now.toString())
                            .withLastTimestamp(now.toString())
                            .withCount(1)
                            .build())
                    .create();
        } catch (RuntimeException e) {
            // Events are best effort: a lost event must not fail the reconcile that caused it.
            LOG.debugf(
                    "could not record event %s for %s/%s: %s",
                    reason, ns, session.getMetadata().getName(), e.getMessage());
        }
        LOG.infof("%s/%s %s: %s", ns, session.getMetadata().getName(), reason, message);
    }
}
