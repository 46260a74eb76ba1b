package dev.collab.router;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Pure (given its random source): the PKCE pair of an OAuth login (RFC 7636, method S256). The verifier never leaves
 * the router unsealed; only its challenge goes into the authorize URL, so a code intercepted on its way back cannot
 * be exchanged by anyone else.
 */
record Pkce(String verifier, String challenge) {
    private static final Base64.Encoder URL = Base64.getUrlEncoder().withoutPadding();

    /** 32 random bytes, base64url: a 43-character verifier (the minimum length RFC 7636 allows). */
    static Pkce create(SecureRandom random) {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        String verifier = URL.encodeToString(bytes);
        return new Pkce(verifier, challenge(verifier));
    }

    /** BASE64URL(SHA256(ASCII(verifier))). */
    static String challenge(String verifier) {
        try {
            return URL.encodeToString(
                    MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "Pkce[challenge=" + challenge + "]"; // the verifier is never printed
    }
}
