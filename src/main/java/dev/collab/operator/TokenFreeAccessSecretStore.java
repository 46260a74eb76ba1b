package dev.collab.operator;

import dev.collab.api.CollabLabels;
import io.fabric8.kubernetes.api.model.Secret;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How the operator caches access Secrets: without the session token. The token is what the router checks for every
 * request to the session; the operator never reads it (it reads the server password, to ask opencode whether it is
 * busy), so its cache keeps no session's token: the operator holds one only while it creates the Secret, and JOSDK's
 * temporary cache keeps that created copy until the watch event replaces it with this store's. Adopting a warm worker's Secret edits labels and
 * owner only: an edit's diff of two token-free copies leaves the stored token untouched.
 */
public class TokenFreeAccessSecretStore extends ManagedFieldsFreeStore<Secret> {
    @Override
    public Secret put(String key, Secret secret) {
        secret.setData(withoutToken(secret.getData()));
        secret.setStringData(withoutToken(secret.getStringData()));
        return super.put(key, secret);
    }

    private static Map<String, String> withoutToken(Map<String, String> data) {
        if (data == null || !data.containsKey(CollabLabels.ACCESS_TOKEN_KEY)) {
            return data;
        }
        Map<String, String> kept = new LinkedHashMap<>(data);
        kept.remove(CollabLabels.ACCESS_TOKEN_KEY);
        return kept;
    }
}
