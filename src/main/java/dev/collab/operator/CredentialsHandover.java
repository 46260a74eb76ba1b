package dev.collab.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CredentialKey;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The second half of a claim: the session's credentials reach the claimed worker's running opencode through
 * {@link CredentialDelivery} (no restart), then the pending mark comes off the pod and the endpoint is published.
 * A worker that does not take them within the start timeout is deleted: the session then starts its pod the
 * ordinary way on the same HOME claim, and seed-home writes the credentials.
 */
final class CredentialsHandover {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration RETRY = Duration.ofSeconds(2);
    private static final String PENDING_PATH = "/metadata/annotations/" + CollabLabels.CREDENTIALS_PENDING.replace("/", "~1");

    /** Emits an event on the session. */
    interface Events {
        void emit(String reason, String message, boolean warning);
    }

    private final CollabSessionReconciler owner;
    private final CollabSession session;
    private final KubernetesClient client;
    private final Instant now;
    private final Consumer<Instant> requeue;
    private final Events events;

    CredentialsHandover(CollabSessionReconciler owner, CollabSession session, KubernetesClient client, Instant now,
            Consumer<Instant> requeue, Events events) {
        this.owner = owner;
        this.session = session;
        this.client = client;
        this.now = now;
        this.requeue = requeue;
        this.events = events;
    }

    static boolean isPending(Pod pod) {
        return pod != null && pod.getMetadata().getAnnotations() != null
                && pod.getMetadata().getAnnotations().containsKey(CollabLabels.CREDENTIALS_PENDING);
    }

    /** Delivers the credentials to a Ready claimed pod; returns the view to report (not ready while pending). */
    PodView complete(Pod pod, PodView view, Secret access, CredentialsState credentials) {
        String password = CollabSessionReconciler.serverPassword(access);
        Map<String, String> entries = authEntries();
        if (password != null && entries != null && owner.delivery().deliver(view.endpoint(), password, entries)) {
            try {
                Pod updated = client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
                        .patch(PatchContext.of(PatchType.JSON), "[{\"op\":\"remove\",\"path\":\"" + PENDING_PATH + "\"}]");
                owner.workerPod().cacheUpdate(updated, pod);
                return view;
            } catch (KubernetesClientException e) {
                requeue.accept(now.plus(RETRY));
                return view.notReadyCopy();
            }
        }
        Duration patience = owner.settings().startTimeout();
        Instant since = view.createdAt() == null ? now : view.createdAt();
        if (!now.isBefore(since.plus(patience))) {
            owner.workerPod().delete(pod, client);
            events.emit("CredentialsNotDelivered", "the claimed warm worker did not take the credentials within "
                    + patience.toSeconds() + "s: starting the pod again, seeded from the credential Secret", true);
            return view.terminatingCopy();
        }
        requeue.accept(now.plus(RETRY));
        return view.notReadyCopy();
    }

    /** Provider -> entry of the credential Secret's auth.json (PoolMatch admits no other key); null if unreadable. */
    private Map<String, String> authEntries() {
        String secretName = session.getSpec().getCredentials().getSecretName();
        Secret secret = owner.secrets().get(new io.javaoperatorsdk.operator.processing.event.ResourceID(secretName,
                session.getMetadata().getNamespace())).orElse(null);
        String encoded = secret == null || secret.getData() == null ? null
                : secret.getData().get(CredentialKey.AUTH.secretKey());
        Map<String, String> entries = new LinkedHashMap<>();
        if (encoded == null) {
            return entries;
        }
        try {
            JsonNode auth = JSON.readTree(new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8));
            if (auth == null || !auth.isObject()) {
                return null;
            }
            auth.fields().forEachRemaining(e -> entries.put(e.getKey(), e.getValue().toString()));
            return entries;
        } catch (Exception e) {
            return null;
        }
    }
}
