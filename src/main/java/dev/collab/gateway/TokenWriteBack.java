package dev.collab.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.collab.api.CredentialAccounts;
import dev.collab.api.CredentialAccounts.Account;
import dev.collab.api.CredentialKey;
import java.io.IOException;
import java.util.Base64;
import java.util.Map;

/**
 * Pure: the Secret data key (and its new base64 value) that carries an account's refreshed tokens, edited in
 * place so every other field of the file stays as uploaded: accounts.json {@code accounts[i].access/refresh/expires},
 * claude-credentials.json {@code claudeAiOauth.accessToken/refreshToken/expiresAt}, auth.json
 * {@code anthropic.access/refresh/expires}.
 */
final class TokenWriteBack {
    private static final ObjectMapper JSON = new ObjectMapper();

    record Edit(String key, String base64) {}

    private TokenWriteBack() {}

    /** Null when the account is no longer in {@code data} (renamed or removed by an upload meanwhile). */
    static Edit edit(Map<String, String> data, String accountName, String access, String refresh, long expiresAt) {
        Account a = CredentialAccounts.of(data).named(accountName).orElse(null);
        if (a == null || a.type() != CredentialAccounts.Type.OAuth) {
            return null;
        }
        ObjectNode root = read(data.get(a.sourceKey()));
        if (root == null) {
            return null;
        }
        ObjectNode entry;
        if (a.index() >= 0) {
            entry = (ObjectNode) root.withArray("accounts").get(a.index());
            put(entry, "access", "refresh", "expires", access, refresh, expiresAt);
        } else if (a.sourceKey().equals(CredentialKey.CLAUDE_CREDENTIALS.secretKey())) {
            entry = root.withObject("/claudeAiOauth");
            put(entry, "accessToken", "refreshToken", "expiresAt", access, refresh, expiresAt);
        } else {
            entry = root.withObject("/anthropic");
            put(entry, "access", "refresh", "expires", access, refresh, expiresAt);
        }
        return new Edit(
                a.sourceKey(),
                Base64.getEncoder().encodeToString(root.toString().getBytes()));
    }

    private static void put(
            ObjectNode entry,
            String accessField,
            String refreshField,
            String expiresField,
            String access,
            String refresh,
            long expiresAt) {
        entry.put(accessField, access);
        if (refresh != null) {
            entry.put(refreshField, refresh); // a provider that does not rotate keeps the old one valid
        }
        entry.put(expiresField, expiresAt);
    }

    private static ObjectNode read(String base64) {
        try {
            JsonNode n =
                    base64 == null ? null : JSON.readTree(Base64.getDecoder().decode(base64));
            return n instanceof ObjectNode o ? o : null;
        } catch (IOException | IllegalArgumentException e) {
            return null;
        }
    }
}
