package dev.collab.router;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Pure (given key and random source): the state of a started login, sealed with AES-256-GCM into the opaque {@code
 * state} the client and the provider carry. It binds the login to the owner who started it, the pool Secret and
 * account it writes, and an expiry; it carries the PKCE verifier, which only this router can read. Nothing is kept
 * in memory, so any router replica can finish a login another one started; single use is enforced where the account
 * is written ({@link AccountEdits#NONCES}: the nonce goes into the Secret in the same guarded update).
 */
final class LoginState {
    /** What a state says once opened. */
    record Claim(
            String owner,
            String namespace,
            String secret,
            String account,
            String verifier,
            String nonce,
            long expires) {
        @Override
        public String toString() {
            return "Claim[" + owner + ", " + namespace + "/" + secret + ", " + account + "]";
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int IV_BYTES = 12;
    private static final Base64.Encoder URL = Base64.getUrlEncoder().withoutPadding();

    private final SecretKeySpec key;
    private final SecureRandom random;

    private LoginState(SecretKeySpec key, SecureRandom random) {
        this.key = key;
        this.random = random;
    }

    /**
     * The sealing key derived from the router's admin token (HMAC-SHA256 with a purpose label): every replica has it,
     * and rotating the admin token ends every unfinished login, as it should.
     */
    static LoginState keyedBy(byte[] adminToken, SecureRandom random) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(adminToken, "HmacSHA256"));
            byte[] derived = mac.doFinal("collab-accounts-login/v1".getBytes(StandardCharsets.US_ASCII));
            return new LoginState(new SecretKeySpec(derived, "AES"), random);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    String seal(Claim claim) {
        try {
            byte[] iv = new byte[IV_BYTES];
            random.nextBytes(iv);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, iv));
            byte[] sealed = cipher.doFinal(JSON.writeValueAsBytes(claim));
            return URL.encodeToString(ByteBuffer.allocate(iv.length + sealed.length)
                    .put(iv)
                    .put(sealed)
                    .array());
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The claim of a state this router sealed, for {@code owner}, not expired at {@code now}; else AccountEdits.Refused
     * 400 (not a state of this router, or altered), 403 (started for another owner) or 410 (expired).
     */
    Claim open(String state, String owner, Instant now) {
        Claim claim = decrypt(state).orElseThrow(() -> new AccountEdits.Refused(400, "unknown or altered login state"));
        if (!claim.owner().equals(owner)) {
            throw new AccountEdits.Refused(403, "this login was started for another owner");
        }
        if (now.toEpochMilli() > claim.expires()) {
            throw new AccountEdits.Refused(410, "this login expired; start a new one");
        }
        return claim;
    }

    /** The owner a state names, before it is checked against a request (the provider's callback names none). */
    Optional<String> ownerOf(String state) {
        return decrypt(state).map(Claim::owner);
    }

    private Optional<Claim> decrypt(String state) {
        try {
            byte[] raw = Base64.getUrlDecoder().decode(state);
            if (raw.length <= IV_BYTES + 16) {
                return Optional.empty();
            }
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, raw, 0, IV_BYTES));
            byte[] plain = cipher.doFinal(raw, IV_BYTES, raw.length - IV_BYTES);
            return Optional.of(JSON.readValue(plain, Claim.class));
        } catch (GeneralSecurityException | IOException | IllegalArgumentException e) {
            return Optional.empty(); // not base64, not ours, or altered: GCM's tag says so
        }
    }
}
