package dev.collab.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class GoDurationTest {
    @Test
    void parsesGoDurations() {
        assertEquals(Duration.ZERO, GoDuration.parse("0"));
        assertEquals(Duration.ofSeconds(90), GoDuration.parse("90s"));
        assertEquals(Duration.ofMinutes(30), GoDuration.parse("30m"));
        assertEquals(Duration.ofMinutes(90), GoDuration.parse("1h30m"));
        assertEquals(Duration.ofMinutes(90), GoDuration.parse("1.5h"));
        assertEquals(Duration.ofMillis(1500), GoDuration.parse("1s500ms"));
        assertEquals(Duration.ofNanos(2_003_004), GoDuration.parse("2ms3us4ns"));
        assertEquals(Duration.ofNanos(5_000), GoDuration.parse("5µs"));
        assertEquals(Duration.ofSeconds(0), GoDuration.parse("0s"));
    }

    @Test
    void refusesWhatGoRefuses() {
        for (String bad : new String[] {"", "30", "m", "1x", "-5m", "1.2.3s", "5 m", ".s"}) {
            assertThrows(IllegalArgumentException.class, () -> GoDuration.parse(bad), bad);
        }
        assertEquals(Duration.ofMinutes(30), GoDuration.parseOr("bogus", Duration.ofMinutes(30)));
    }

    @Test
    void refusesDurationsLongerThanAYearInsteadOfWrappingToNegative() {
        assertEquals(GoDuration.MAX, GoDuration.parse("8760h"));
        // 3000000h is more nanoseconds than a long holds: it once became a negative timeout (stop 60 ms after start).
        for (String huge : new String[] {"8760h1ns", "3000000h", "99999999999999999999h", "9223372036854775807ns1h"}) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> GoDuration.parse(huge), huge);
            assertTrue(e.getMessage().contains("maximum of 8760h"), e.getMessage());
        }
        assertEquals(Duration.ofMinutes(30), GoDuration.parseOr(null, Duration.ofMinutes(30)));
    }
}
