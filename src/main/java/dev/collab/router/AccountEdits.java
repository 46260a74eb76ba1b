package dev.collab.router;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.collab.api.CredentialAccounts;
import dev.collab.api.CredentialAccounts.Account;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Pure: the edits an owner makes to the account pool of a credential Secret (docs/DESIGN.md section 5), on its data
 * (base64 values) and annotations. Every edit works on {@code accounts.json}: a Secret that still holds single-account
 * keys gets them carried into a new accounts.json first (subscription, then api-key), so adding an account never
 * hides one the owner already had. Entries keep every field the edit does not name.
 */
final class AccountEdits {
    /** Annotation: nonces of finished logins with their expiry (epoch ms), so a login state is used at most once. */
    static final String NONCES = "collab.dev/login-nonces";

    /** An edit that cannot be made, with the HTTP status and message the client gets. */
    static final class Refused extends RuntimeException {
        final int status;

        Refused(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private AccountEdits() {}

    /** An OAuth account added at the end, or replaced in place (same name: a re-login keeps its position). */
    static Map<String, String> loggedIn(
            Map<String, String> data, String name, String access, String refresh, long expiresAt) {
        ArrayNode pool = pool(data);
        ObjectNode entry = find(pool, name);
        if (entry == null) {
            entry = pool.addObject().put("name", name);
        }
        entry.put("type", "oauth").put("access", access).put("refresh", refresh).put("expires", expiresAt);
        entry.remove("key");
        return with(data, pool);
    }

    static Map<String, String> removed(Map<String, String> data, String name) {
        ArrayNode pool = pool(data);
        int index = indexOf(pool, name);
        if (index < 0) {
            throw unknown(name);
        }
        pool.remove(index);
        return with(data, pool);
    }

    /** The pool in {@code order}, which must name every account once (a concurrent login shows up as a 409). */
    static Map<String, String> ordered(Map<String, String> data, List<String> order) {
        ArrayNode pool = pool(data);
        List<String> names = names(pool);
        if (order.size() != new LinkedHashSet<>(order).size()
                || !new LinkedHashSet<>(order).equals(new LinkedHashSet<>(names))
                || order.size() != names.size()) {
            throw new Refused(409, "order must name every account of the pool exactly once; the pool has " + names);
        }
        ArrayNode next = JSON.createArrayNode();
        order.forEach(n -> next.add(find(pool, n)));
        return with(data, next);
    }

    static Map<String, String> disabled(Map<String, String> data, String name, boolean disabled) {
        ArrayNode pool = pool(data);
        ObjectNode entry = find(pool, name);
        if (entry == null) {
            throw unknown(name);
        }
        if (disabled) {
            entry.put("disabled", true);
        } else {
            entry.remove("disabled");
        }
        return with(data, pool);
    }

    /** A name for a new account that no account of the pool has: account-1, account-2, ... */
    static String freeName(Map<String, String> data) {
        List<String> names = names(pool(data));
        for (int i = 1; ; i++) {
            if (!names.contains("account-" + i)) {
                return "account-" + i;
            }
        }
    }

    static boolean nonceUsed(Map<String, String> annotations, String nonce) {
        return nonces(annotations).containsKey(nonce);
    }

    /** The annotations with {@code nonce} recorded and the nonces of logins expired before {@code nowMs} dropped. */
    static Map<String, String> withNonce(Map<String, String> annotations, String nonce, long expires, long nowMs) {
        Map<String, Long> nonces = new TreeMap<>(nonces(annotations));
        nonces.values().removeIf(until -> until < nowMs);
        nonces.put(nonce, expires);
        Map<String, String> out = new HashMap<>(annotations == null ? Map.of() : annotations);
        try {
            out.put(NONCES, JSON.writeValueAsString(nonces));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    private static Map<String, Long> nonces(Map<String, String> annotations) {
        String raw = annotations == null ? null : annotations.get(NONCES);
        if (raw == null) {
            return Map.of();
        }
        try {
            return JSON.readValue(raw, new TypeReference<Map<String, Long>>() {});
        } catch (IOException e) {
            return Map.of(); // hand-edited: rewritten on the next login
        }
    }

    /** accounts.json as it stands, or the single-account keys carried into that shape. */
    private static ArrayNode pool(Map<String, String> data) {
        Map<String, String> d = data == null ? Map.of() : data;
        CredentialAccounts.Accounts accounts = CredentialAccounts.of(d);
        if (accounts.pool()) {
            JsonNode root = read(d.get(CredentialAccounts.KEY));
            return root.path("accounts").deepCopy();
        }
        ArrayNode pool = JSON.createArrayNode();
        for (Account a : accounts.list()) {
            ObjectNode e = pool.addObject().put("name", a.name());
            if (a.type() == CredentialAccounts.Type.ApiKey) {
                e.put("type", "api").put("key", a.apiKey());
            } else {
                e.put("type", "oauth").put("access", a.access()).put("refresh", a.refresh());
                e.put("expires", a.expiresAt());
            }
        }
        return pool;
    }

    private static Map<String, String> with(Map<String, String> data, ArrayNode pool) {
        Map<String, String> out = new HashMap<>(data == null ? Map.of() : data);
        ObjectNode root = read(out.get(CredentialAccounts.KEY));
        root.set("accounts", pool);
        out.put(
                CredentialAccounts.KEY,
                Base64.getEncoder().encodeToString(root.toString().getBytes()));
        return out;
    }

    private static ObjectNode read(String base64) {
        try {
            JsonNode n =
                    base64 == null ? null : JSON.readTree(Base64.getDecoder().decode(base64));
            return n instanceof ObjectNode o ? o : JSON.createObjectNode();
        } catch (IOException | IllegalArgumentException e) {
            return JSON.createObjectNode();
        }
    }

    private static List<String> names(ArrayNode pool) {
        List<String> out = new ArrayList<>();
        pool.forEach(e -> out.add(e.path("name").asText()));
        return out;
    }

    private static int indexOf(ArrayNode pool, String name) {
        for (int i = 0; i < pool.size(); i++) {
            if (name.equals(pool.get(i).path("name").asText())) {
                return i;
            }
        }
        return -1;
    }

    private static ObjectNode find(ArrayNode pool, String name) {
        int i = indexOf(pool, name);
        return i < 0 ? null : (ObjectNode) pool.get(i);
    }

    private static Refused unknown(String name) {
        return new Refused(404, "no account named " + name + " in the pool");
    }
}
