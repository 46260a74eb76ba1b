package dev.collab.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class SessionAccessTest {
    @Test
    void buildsTheUpstreamAuthorizationOnceAndNeverPrintsSecrets() {
        SessionDirectory.Access access =
                new SessionDirectory.Access("tok-123".getBytes(StandardCharsets.UTF_8), "pw-456");

        assertEquals(
                "Basic " + Base64.getEncoder().encodeToString("opencode:pw-456".getBytes(StandardCharsets.UTF_8)),
                access.basicAuthorization());
        String printed = access.toString();
        assertFalse(
                printed.contains("pw-456")
                        || printed.contains(access.basicAuthorization().substring(6)),
                printed);
    }
}
