package dev.collab.api;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses Go-style durations ("90s", "1h30m", "1.5h", "0") as used by spec.idleTimeout. */
public final class GoDuration {
    private static final Pattern WHOLE = Pattern.compile(CollabSessionSpec.DURATION_PATTERN);
    private static final Pattern PART = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(ns|us|µs|ms|s|m|h)");

    /** Longest accepted duration: 8760h (365 days); "0" means never. Anything longer is refused, not wrapped. */
    public static final Duration MAX = Duration.ofHours(8760);

    private GoDuration() {}

    /** The duration, ZERO for "0"; IllegalArgumentException with a readable message otherwise. */
    public static Duration parse(String text) {
        if (text == null || !WHOLE.matcher(text.trim()).matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration like 30m, 1h30m, 90s or 0");
        }
        String value = text.trim();
        if (value.equals("0")) {
            return Duration.ZERO;
        }
        BigDecimal nanos = BigDecimal.ZERO;
        Matcher m = PART.matcher(value);
        while (m.find()) {
            nanos = nanos.add(new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(nanosPerUnit(m.group(2)))));
        }
        if (nanos.compareTo(BigDecimal.valueOf(MAX.toNanos())) > 0) {
            throw new IllegalArgumentException(
                    "'" + text + "' is longer than the maximum of 8760h (365 days); use 0 for never");
        }
        return Duration.ofNanos(nanos.longValue());
    }

    /** The duration, or the fallback when the text is absent or not a duration. */
    public static Duration parseOr(String text, Duration fallback) {
        if (text == null || text.isBlank()) {
            return fallback;
        }
        try {
            return parse(text);
        } catch (IllegalArgumentException e) {
            return fallback;
        }
    }

    private static long nanosPerUnit(String unit) {
        return switch (unit) {
            case "ns" -> 1L;
            case "us", "µs" -> 1_000L;
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            case "h" -> 3_600_000_000_000L;
            default -> throw new IllegalArgumentException("unknown unit " + unit);
        };
    }
}
