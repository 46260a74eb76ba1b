package dev.collab.router;

import java.util.Locale;

/** Parses sizes such as "10M", "10MiB", "512Ki", "1G" or "2048" (bytes); all multipliers are binary (1K = 1024). */
public final class ByteSize {
    private ByteSize() {
    }

    public static long parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("size is empty");
        }
        String s = text.trim().toUpperCase(Locale.ROOT);
        int i = 0;
        while (i < s.length() && Character.isDigit(s.charAt(i))) {
            i++;
        }
        if (i == 0) {
            throw new IllegalArgumentException("invalid size: " + text);
        }
        long value = Long.parseLong(s.substring(0, i));
        String unit = s.substring(i).trim();
        if (unit.endsWith("B")) {
            unit = unit.substring(0, unit.length() - 1);
        }
        if (unit.endsWith("I")) {
            unit = unit.substring(0, unit.length() - 1);
        }
        long multiplier = switch (unit) {
            case "" -> 1L;
            case "K" -> 1L << 10;
            case "M" -> 1L << 20;
            case "G" -> 1L << 30;
            case "T" -> 1L << 40;
            default -> throw new IllegalArgumentException("invalid size unit: " + text);
        };
        return Math.multiplyExact(value, multiplier);
    }
}
