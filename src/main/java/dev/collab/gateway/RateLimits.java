package dev.collab.gateway;

import io.vertx.core.MultiMap;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;

/**
 * Pure: which provider answers mean "this account is exhausted for now" and until when. The reset comes from
 * {@code retry-after} (seconds or an HTTP date), else {@code anthropic-ratelimit-unified-reset} (subscriptions,
 * epoch seconds), else the earliest {@code anthropic-ratelimit-*-reset} whose {@code -remaining} is 0 (RFC 3339),
 * else the configured default.
 */
final class RateLimits {
    private static final String PREFIX = "anthropic-ratelimit-";

    private RateLimits() {}

    /** 429 (rate limited) and 529 (overloaded) send the request to the next account. */
    static boolean exhausted(int status) {
        return status == 429 || status == 529;
    }

    /** The in-stream error types that do the same when they arrive before any content. */
    static boolean exhaustedType(String errorType) {
        return "rate_limit_error".equals(errorType) || "overloaded_error".equals(errorType);
    }

    static Instant resetAt(MultiMap headers, Instant now, Duration fallback) {
        Instant retryAfter = retryAfter(headers.get("retry-after"), now);
        if (retryAfter != null) {
            return retryAfter;
        }
        Instant unified = parse(headers.get(PREFIX + "unified-reset"));
        if (unified != null) {
            return unified;
        }
        Instant earliest = null;
        for (Map.Entry<String, String> e : headers) {
            String name = e.getKey().toLowerCase(Locale.ROOT);
            if (name.startsWith(PREFIX) && name.endsWith("-reset")) {
                String remaining = headers.get(name.substring(0, name.length() - "reset".length()) + "remaining");
                Instant at = parse(e.getValue());
                if ("0".equals(remaining) && at != null && (earliest == null || at.isBefore(earliest))) {
                    earliest = at;
                }
            }
        }
        return earliest != null ? earliest : now.plus(fallback);
    }

    private static Instant retryAfter(String value, Instant now) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return now.plusMillis((long) (Double.parseDouble(value.trim()) * 1000));
        } catch (NumberFormatException e) {
            try {
                return ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME)
                        .toInstant();
            } catch (DateTimeParseException e2) {
                return null;
            }
        }
    }

    /** RFC 3339, or epoch seconds. */
    private static Instant parse(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return Instant.ofEpochSecond(Long.parseLong(value.trim()));
        } catch (NumberFormatException e) {
            try {
                return Instant.parse(value.trim());
            } catch (DateTimeParseException e2) {
                return null;
            }
        }
    }
}
