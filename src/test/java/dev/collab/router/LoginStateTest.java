package dev.collab.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** PKCE and the sealed login state: pure. */
class LoginStateTest {
    static final byte[] ADMIN = "admin-token-0123456789".getBytes(StandardCharsets.UTF_8);
    static final Instant NOW = Instant.parse("2026-12-05T10:00:00Z");
    static final LoginState.Claim CLAIM = new LoginState.Claim(
            "alice@example.com",
            "team",
            "alpha-creds",
            "work",
            "verifier-xyz",
            "nonce-1",
            NOW.toEpochMilli() + 600_000);

    @Test
    void theChallengeIsTheBase64UrlSha256OfTheVerifier() {
        // computed independently (Python hashlib + base64.urlsafe_b64encode, padding stripped)
        assertThat(Pkce.challenge("dBjftJeZ4CVP-mJ92K9qvOB9u4AjMIOY1vsCYQRsNNJ"))
                .isEqualTo("edeFNQpYrFax6w2AauppdbxgNpqZQMtrE6hi1TghTvc");
        Pkce p = Pkce.create(new SecureRandom());
        assertThat(p.verifier()).hasSize(43).matches("[A-Za-z0-9_-]+");
        assertThat(p.challenge()).isEqualTo(Pkce.challenge(p.verifier()));
        assertThat(p.toString()).doesNotContain(p.verifier());
        Set<String> verifiers = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            verifiers.add(Pkce.create(new SecureRandom()).verifier());
        }
        assertThat(verifiers).hasSize(100);
    }

    @Test
    void aSealedStateOpensForItsOwnerUntilItExpires() {
        LoginState sealer = LoginState.keyedBy(ADMIN, new SecureRandom());
        String state = sealer.seal(CLAIM);
        assertThat(state).doesNotContain("verifier").doesNotContain("alice").matches("[A-Za-z0-9_-]+");
        assertThat(sealer.open(state, "alice@example.com", NOW)).isEqualTo(CLAIM);
        assertThat(sealer.ownerOf(state)).contains("alice@example.com");
        // another router replica with the same admin token opens it too
        assertThat(LoginState.keyedBy(ADMIN, new SecureRandom()).open(state, "alice@example.com", NOW))
                .isEqualTo(CLAIM);
        assertThat(sealer.seal(CLAIM)).as("a fresh IV every time").isNotEqualTo(state);

        assertRefused(() -> sealer.open(state, "bob@example.com", NOW), 403);
        assertRefused(() -> sealer.open(state, "alice@example.com", NOW.plusSeconds(601)), 410);
        assertRefused(
                () -> LoginState.keyedBy("other-admin".getBytes(StandardCharsets.UTF_8), new SecureRandom())
                        .open(state, "alice@example.com", NOW),
                400);
        char[] altered = state.toCharArray();
        altered[20] = altered[20] == 'A' ? 'B' : 'A';
        assertRefused(() -> sealer.open(new String(altered), "alice@example.com", NOW), 400);
        assertRefused(() -> sealer.open("not base64 !", "alice@example.com", NOW), 400);
        assertRefused(() -> sealer.open("", "alice@example.com", NOW), 400);
    }

    private static void assertRefused(Runnable open, int status) {
        assertThatThrownBy(open::run)
                .isInstanceOfSatisfying(
                        AccountEdits.Refused.class, r -> assertThat(r.status).isEqualTo(status));
    }
}
