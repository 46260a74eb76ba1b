package dev.collab.router;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Pure rules of the credential upload about the Secret it writes (docs/DESIGN.md section 5, issue 30 item 4).
 *
 * <ul>
 *   <li>An existing Secret is written only when it is already opted in for the session's owner (owner label equal to
 *       the owner's label value). A Secret without that label is refused, whatever it holds: a spec may name any
 *       Secret of the namespace, and opting one in would mount it into a pod the spec's author has a shell in.
 *   <li>The credential Secret belongs to the owner, not to one session: it carries no owner reference, so deleting
 *       the session that first uploaded into it does not delete what the owner's other sessions still use. A
 *       reference to a CollabSession that an older router set is removed on the next upload.
 * </ul>
 */
final class UploadTarget {

    private UploadTarget() {}

    /** Why the upload must not write into `existing` for a session of `owner`, or empty when it may. */
    static Optional<String> refusal(Secret existing, String owner) {
        String name = existing.getMetadata().getName();
        Map<String, String> labels = existing.getMetadata().getLabels() == null
                ? Map.of()
                : existing.getMetadata().getLabels();
        String expected = CollabLabels.ownerLabelValue(owner);
        String actual = labels.get(CollabLabels.OWNER);
        if (expected.equals(actual)) {
            return Optional.empty();
        }
        if (CollabLabels.isLegacyOwnerLabel(actual, owner)) {
            return Optional.of("Secret " + name + " is opted in under the old owner label '" + actual
                    + "', which other owners can share; if it is this owner's, relabel it first: kubectl label secret "
                    + name + " " + CollabLabels.OWNER + "=" + expected + " --overwrite");
        }
        if (actual != null) {
            return Optional.of("Secret " + name + " is opted in for another owner's sessions");
        }
        return Optional.of("Secret " + name + " exists and is not opted in for this owner's sessions: the upload takes"
                + " over no Secret it did not create; label it " + CollabLabels.CREDENTIALS + "="
                + CollabLabels.CREDENTIALS_VALUE + " " + CollabLabels.OWNER + "=" + expected
                + " if it holds this owner's credentials, or name a new Secret in spec.credentials.secretName");
    }

    /** `existing` with the key written, the opt-in labels set and references to CollabSessions removed. */
    static Secret written(Secret existing, String owner, String key, String encoded) {
        Secret copy = new SecretBuilder(existing).build();
        Map<String, String> data = new HashMap<>(copy.getData() == null ? Map.of() : copy.getData());
        data.put(key, encoded);
        copy.setData(data);
        Map<String, String> labels = new HashMap<>(
                copy.getMetadata().getLabels() == null
                        ? Map.of()
                        : copy.getMetadata().getLabels());
        labels.putAll(CollabLabels.credentialSecretLabels(owner));
        copy.getMetadata().setLabels(labels);
        List<OwnerReference> refs = new ArrayList<>(
                copy.getMetadata().getOwnerReferences() == null
                        ? List.of()
                        : copy.getMetadata().getOwnerReferences());
        refs.removeIf(UploadTarget::isSession);
        copy.getMetadata().setOwnerReferences(refs);
        return copy;
    }

    private static boolean isSession(OwnerReference ref) {
        return CollabSession.KIND.equals(ref.getKind())
                && ref.getApiVersion() != null
                && ref.getApiVersion().startsWith(CollabSession.GROUP + "/");
    }
}
