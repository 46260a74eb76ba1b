package dev.collab.router;

import dev.collab.api.CollabSession;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Pure: which credential Secret holds an owner's account pool. It is the Secret the owner's sessions name in
 * spec.credentials.secretName (the one the gateway reads for them), so the accounts API can reach no Secret that no
 * session of that owner uses. An owner whose sessions name several (in several namespaces, say) picks one with
 * {@code ?secret=<namespace>/<name>} (or {@code <name>} when only one namespace has it).
 */
final class OwnerPools {
    record Pool(String namespace, String secret) {
        @Override
        public String toString() {
            return namespace + "/" + secret;
        }
    }

    private OwnerPools() {}

    static Pool target(List<CollabSession> owned, String requested) {
        TreeSet<String> named = new TreeSet<>();
        for (CollabSession cs : owned) {
            String secret = cs.getSpec().getCredentials() == null
                    ? null
                    : cs.getSpec().getCredentials().getSecretName();
            if (secret != null && !secret.isBlank()) {
                named.add(cs.getMetadata().getNamespace() + "/" + secret);
            }
        }
        if (named.isEmpty()) {
            throw new AccountEdits.Refused(
                    404,
                    owned.isEmpty()
                            ? "no session of this owner in the namespaces this router serves"
                            : "no session of this owner names a credential Secret (spec.credentials.secretName)");
        }
        if (requested == null || requested.isBlank()) {
            if (named.size() > 1) {
                throw new AccountEdits.Refused(
                        409,
                        "this owner's sessions name several credential Secrets " + named
                                + ": choose one with ?secret=<namespace>/<name>");
            }
            return pool(named.first());
        }
        List<String> matches = named.stream()
                .filter(n -> n.equals(requested) || n.endsWith("/" + requested))
                .toList();
        if (matches.size() == 1) {
            return pool(matches.get(0));
        }
        throw new AccountEdits.Refused(
                matches.isEmpty() ? 404 : 409,
                (matches.isEmpty() ? "no session of this owner names Secret " : "several namespaces have Secret ")
                        + requested + "; this owner's sessions name " + named);
    }

    private static Pool pool(String namespaceSlashName) {
        String[] parts = namespaceSlashName.split("/", 2);
        return new Pool(Objects.requireNonNull(parts[0]), parts[1]);
    }
}
