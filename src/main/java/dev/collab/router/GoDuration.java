package dev.collab.router;

import java.math.BigDecimal;
import java.time.Duration;

/**
 * Parses Go-style durations as used in {@code spec.idleTimeout}: a sequence of decimal numbers, each with an
 * optional fraction and a unit (ns, us, µs, ms, s, m, h), such as "90s", "1h30m" or "1.5h"; "0" is zero.
 * Negative durations are refused (an idle timeout cannot be negative).
 */
public final class GoDuration {
    private static final BigDecimal NANOS_PER_SECOND = BigDecimal.valueOf(1_000_000_000L);

    private GoDuration() {
    }

    public static Duration parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("duration is null");
        }
        String s = text.trim();
        if (s.startsWith("+")) {
            s = s.substring(1);
        }
        if (s.equals("0")) {
            return Duration.ZERO;
        }
        if (s.isEmpty() || s.startsWith("-")) {
            throw new IllegalArgumentException("invalid duration: " + text);
        }
        BigDecimal nanos = BigDecimal.ZERO;
        int i = 0;
        while (i < s.length()) {
            int start = i;
            while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
                i++;
            }
            String number = s.substring(start, i);
            if (number.isEmpty() || number.equals(".") || number.indexOf('.') != number.lastIndexOf('.')) {
                throw new IllegalArgumentException("invalid duration: " + text);
            }
            int unitStart = i;
            while (i < s.length() && !Character.isDigit(s.charAt(i)) && s.charAt(i) != '.') {
                i++;
            }
            long unitNanos = switch (s.substring(unitStart, i)) {
                case "ns" -> 1L;
                case "us", "µs", "μs" -> 1_000L;
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                case "h" -> 3_600_000_000_000L;
                default -> throw new IllegalArgumentException("invalid duration (unit): " + text);
            };
            nanos = nanos.add(new BigDecimal(number).multiply(BigDecimal.valueOf(unitNanos)));
        }
        BigDecimal[] parts = new BigDecimal(nanos.toBigInteger()).divideAndRemainder(NANOS_PER_SECOND);
        return Duration.ofSeconds(parts[0].longValueExact(), parts[1].longValueExact());
    }

    /** Parses, or returns {@code fallback} when the text is null, blank or invalid. */
    public static Duration parseOr(String text, Duration fallback) {
        if (text == null || text.isBlank()) {
            return fallback;
        }
        try {
            return parse(text);
        } catch (IllegalArgumentException | ArithmeticException e) {
            return fallback;
        }
    }
}
