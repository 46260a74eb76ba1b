package dev.collab.operator;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.collab.api.CollabLabels;
import dev.collab.api.ConditionReasons;
import dev.collab.api.CredentialAccounts;
import dev.collab.api.CredentialKey;
import io.fabric8.kubernetes.api.model.Secret;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * What the session's credential Secret offers: the known keys present and the digest of their content.
 * The digest is the same one the seed-home script computes, so status.credentialsHash can be compared
 * with ~/.collab/credentials.sha256 on the volume.
 */
public record CredentialsState(boolean ready, String reason, String message, List<CredentialKey> keys, String hash) {
    /**
     * Both a Claude subscription and an Anthropic API key: still ready (the documented rule is that the subscription
     * wins), but said on the CredentialsReady condition so the owner knows which account is billed.
     */
    public static final String SUBSCRIPTION_REPLACES_API_KEY = ConditionReasons.SUBSCRIPTION_REPLACES_API_KEY;

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The credential Secret as a session of `owner` may use it: only a Secret opted in for sessions (label
     * collab.dev/credentials: "true") of the same owner (label collab.dev/owner), so that whoever may create a
     * CollabSession cannot have any other Secret of the namespace mounted into a pod it has a shell in.
     */
    public static CredentialsState of(String secretName, Secret secret, String owner) {
        String ownerLabel = CollabLabels.ownerLabelValue(owner);
        Map<String, String> labels = secret == null || secret.getMetadata().getLabels() == null
                ? Map.of()
                : secret.getMetadata().getLabels();
        if (secret == null || !CollabLabels.CREDENTIALS_VALUE.equals(labels.get(CollabLabels.CREDENTIALS))) {
            // The operator watches only opted-in Secrets: a Secret without the label is not visible to it at all.
            return notReady(
                    ConditionReasons.SECRET_NOT_FOUND,
                    "no Secret " + secretName + " opted in for sessions in this namespace: sessions use only Secrets"
                            + " labelled " + CollabLabels.CREDENTIALS + "=" + CollabLabels.CREDENTIALS_VALUE + " and "
                            + CollabLabels.OWNER + "=" + ownerLabel + " (the router's upload endpoint sets both)");
        }
        if (CollabLabels.isLegacyOwnerLabel(labels.get(CollabLabels.OWNER), owner)) {
            // The value of before issue 30 is shared by owners that differ only in punctuation (alice@example.com,
            // alice-example.com): it cannot say whose the Secret is, so the person who knows relabels it.
            return notReady(
                    ConditionReasons.SECRET_OWNER_LABEL_OUTDATED,
                    "Secret " + secretName + " is opted in under the old owner label '" + labels.get(CollabLabels.OWNER)
                            + "', which other owners can share; if it is this owner's, relabel it: kubectl label secret "
                            + secretName + " " + CollabLabels.OWNER + "=" + ownerLabel + " --overwrite");
        }
        if (!ownerLabel.equals(labels.get(CollabLabels.OWNER))) {
            return notReady(
                    ConditionReasons.SECRET_OWNER_MISMATCH,
                    "Secret " + secretName + " is opted in for owner label '" + labels.get(CollabLabels.OWNER)
                            + "', not this session's owner '" + ownerLabel + "' (label " + CollabLabels.OWNER + ")");
        }
        Map<String, String> data = secret.getData() == null ? Map.of() : secret.getData();
        List<CredentialKey> keys = new ArrayList<>();
        ByteArrayOutputStream digestInput = new ByteArrayOutputStream();
        byte[] authJson = null;
        for (CredentialKey key : CredentialKey.values()) {
            String encoded = data.get(key.secretKey());
            if (encoded == null) {
                continue;
            }
            keys.add(key);
            digestInput.writeBytes((key.secretKey() + "\n").getBytes(StandardCharsets.UTF_8));
            try {
                byte[] content = Base64.getDecoder().decode(encoded);
                digestInput.writeBytes(content);
                authJson = key == CredentialKey.AUTH ? content : authJson;
            } catch (IllegalArgumentException e) {
                return notReady(
                        ConditionReasons.INVALID_SECRET_DATA,
                        "Secret " + secretName + " key " + key.secretKey() + " is not valid base64");
            }
        }
        String pool = data.get(CredentialAccounts.KEY);
        if (keys.isEmpty() && pool == null) {
            return notReady(
                    ConditionReasons.NO_KNOWN_CREDENTIAL_KEYS,
                    "Secret " + secretName
                            + " holds none of the keys claude-credentials.json, auth.json, opencode.json, accounts.json");
        }
        if (pool != null) {
            // an account pool: read by the credential gateway only, never copied into a HOME
            digestInput.writeBytes((CredentialAccounts.KEY + "\n").getBytes(StandardCharsets.UTF_8));
            digestInput.writeBytes(pool.getBytes(StandardCharsets.UTF_8));
        }
        String hash = "sha256:" + CollabLabels.sha256Hex(digestInput.toByteArray());
        List<String> names =
                new ArrayList<>(keys.stream().map(CredentialKey::secretKey).toList());
        if (pool != null) {
            names.add(CredentialAccounts.KEY + " (an account pool: used in Gateway mode only)");
        }
        String provides = "Secret " + secretName + " provides " + names;
        if (keys.contains(CredentialKey.CLAUDE_CREDENTIALS) && hasAnthropicApiKey(authJson)) {
            return new CredentialsState(
                    true,
                    ConditionReasons.SUBSCRIPTION_REPLACES_API_KEY,
                    provides + "; the Claude subscription (claude-credentials.json) wins: the opencode-claude-auth"
                            + " plugin replaces the anthropic API key of auth.json when the worker starts. Remove one"
                            + " of the two to choose",
                    keys,
                    hash);
        }
        return new CredentialsState(true, ConditionReasons.CREDENTIALS_FOUND, provides, keys, hash);
    }

    /** auth.json (opencode's store: provider -> {type, key|access...}) holds an anthropic entry of type api. */
    private static boolean hasAnthropicApiKey(byte[] authJson) {
        if (authJson == null) {
            return false;
        }
        try {
            return "api"
                    .equals(JSON.readTree(authJson)
                            .path("anthropic")
                            .path("type")
                            .asText());
        } catch (IOException e) {
            return false; // not JSON: opencode ignores it, nothing is replaced
        }
    }

    private static CredentialsState notReady(String reason, String message) {
        return new CredentialsState(false, reason, message, List.of(), null);
    }
}
