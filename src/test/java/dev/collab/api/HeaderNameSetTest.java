package dev.collab.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;

class HeaderNameSetTest {
    private static final Set<String> NAMES = Set.of("connection", "keep-alive", "te", "x-api-key", "authorization");
    private final HeaderNameSet set = new HeaderNameSet(NAMES);

    @Test
    void matchesAnyCaseAndNothingElse() {
        assertTrue(set.contains("Connection"));
        assertTrue(set.contains("KEEP-ALIVE"));
        assertTrue(set.contains("tE"));
        assertTrue(set.contains("X-Api-Key"));
        assertFalse(set.contains("t"));
        assertFalse(set.contains("tea"));
        assertFalse(set.contains("x-api-keys"));
        assertFalse(set.contains("x-api-kez"));
        assertFalse(set.contains(""));
        assertFalse(set.contains("a-very-long-header-name-longer-than-all"));
    }

    @Test
    void agreesWithLowerCasingThenLookingUp() {
        // the rule it replaces: set.contains(name.toLowerCase(Locale.ROOT)), also for non-ASCII look-alikes
        List<String> names = List.of(
                "Connection",
                "conn\u0130ction",
                "\u212Aeep-alive",
                "KEEP-ALIVE",
                "Te",
                "T\u00c9",
                "x-api-key",
                "X-API-KEY",
                "x_api_key",
                "Authorization",
                "authorizatio\u00f1",
                "content-type",
                "\u017Fte");
        for (String n : names) {
            assertEquals(NAMES.contains(n.toLowerCase(Locale.ROOT)), set.contains(n), n);
        }
    }
}
