package dev.collab.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.collab.api.AccessSecrets;
import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CredentialKey;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The second half of a claim: the session's credentials reach the claimed worker's running opencode through
 * {@link CredentialDelivery} (no restart); then the pending mark comes off the pod and its endpoint may be published.
 * {@link SessionDecision} retries every {@link #RETRY} and, past the start timeout, replaces the pod: the new pod
 * runs on the same HOME claim and seed-home writes the credentials from the Secret.
 */
final class CredentialsHandover {
    static final Duration RETRY = Duration.ofSeconds(2);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PENDING_PATH =
            "/metadata/annotations/" + CollabLabels.CREDENTIALS_PENDING.replace("/", "~1");

    private final SessionCollaborators with;

    CredentialsHandover(SessionCollaborators with) {
        this.with = with;
    }

    static boolean isPending(Pod pod) {
        return pod != null
                && pod.getMetadata().getAnnotations() != null
                && pod.getMetadata().getAnnotations().containsKey(CollabLabels.CREDENTIALS_PENDING);
    }

    /**
     * Delivers the credentials to the Ready claimed pod and clears its pending mark; true when both happened. The
     * delivery itself (network calls of seconds each) runs off the reconcile thread: the first call starts it and
     * answers false, and its end wakes the session, whose next reconcile finds it done.
     */
    boolean deliver(CollabSession session, Pod pod, PodView view, Secret access, KubernetesClient client, Instant now) {
        String password = AccessSecrets.serverPassword(access);
        Map<String, String> entries = authEntries(session);
        String endpoint = view.endpoint();
        if (password == null
                || entries == null
                || endpoint == null
                || !with.probes()
                        .delivered(
                                ResourceID.fromResource(session),
                                pod.getMetadata().getUid(),
                                now,
                                with.settings().startTimeout(),
                                () -> with.delivery().deliver(endpoint, password, entries))) {
            return false;
        }
        try {
            Pod updated = client.pods()
                    .inNamespace(pod.getMetadata().getNamespace())
                    .withName(pod.getMetadata().getName())
                    .patch(PatchContext.of(PatchType.JSON), "[{\"op\":\"remove\",\"path\":\"" + PENDING_PATH + "\"}]");
            with.workerPod().cacheUpdate(updated, pod);
            return true;
        } catch (KubernetesClientException e) {
            return false;
        }
    }

    /** Provider -> entry of the credential Secret's auth.json (PoolMatch admits no other key); null if unreadable. */
    private Map<String, String> authEntries(CollabSession session) {
        String secretName = session.getSpec().getCredentials().getSecretName();
        Secret secret = with.credentialSecrets()
                .get(new ResourceID(secretName, session.getMetadata().getNamespace()))
                .orElse(null);
        String encoded = secret == null || secret.getData() == null
                ? null
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
            auth.fields()
                    .forEachRemaining(e -> entries.put(e.getKey(), e.getValue().toString()));
            return entries;
        } catch (Exception e) {
            return null;
        }
    }
}
