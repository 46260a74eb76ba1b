package dev.collab.operator;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.function.Supplier;

/**
 * Desired Secret `<name>-access`: the session token clients present to the router and the password the
 * router sends to opencode. Created once; the operator never rewrites it (deleting it rotates both).
 */
public final class AccessSecretBuilder {
    private static final SecureRandom RANDOM = new SecureRandom();

    private AccessSecretBuilder() {
    }

    public static Secret desired(CollabSession session) {
        return desired(session, AccessSecretBuilder::randomToken);
    }

    static Secret desired(CollabSession session, Supplier<String> tokens) {
        return withMetadata(ChildMetadata.of(session, CollabLabels.accessSecretName(session.getMetadata().getName()),
                CollabLabels.ROLE_ACCESS, true).build(), tokens);
    }

    /** A fresh token and server password under the given metadata (a session's or a warm worker's). */
    static Secret withMetadata(ObjectMeta meta, Supplier<String> tokens) {
        return new SecretBuilder()
                .withMetadata(meta)
                .withType("Opaque")
                .addToData(CollabLabels.ACCESS_TOKEN_KEY, base64(tokens.get()))
                .addToData(CollabLabels.ACCESS_SERVER_PASSWORD_KEY, base64(tokens.get()))
                .build();
    }

    /** 32 random bytes, base64url without padding: safe in URLs, cookies and headers. */
    static String randomToken() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static String base64(String value) {
        return Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
    }
}
