package dev.collab.api;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * A fixed set of HTTP header names matched case-insensitively without allocating: the proxies test every header
 * of every request and response against their drop lists, and a {@code toLowerCase} plus a hash per header showed
 * in their profiles (bench/router/RESULTS.md). {@code contains(name)} is {@code set.contains(name.toLowerCase(ROOT))}
 * for header names (single-char case mappings; a header name from the wire holds no character whose lower case is
 * longer).
 */
public final class HeaderNameSet {
    /** Lower-case names by length. */
    private final String[][] byLength;

    public HeaderNameSet(Collection<String> names) {
        int max = 0;
        for (String n : names) {
            max = Math.max(max, n.length());
        }
        List<List<String>> buckets = new ArrayList<>();
        for (int i = 0; i <= max; i++) {
            buckets.add(new ArrayList<>());
        }
        for (String n : names) {
            String lower = n.toLowerCase(Locale.ROOT);
            if (!buckets.get(lower.length()).contains(lower)) {
                buckets.get(lower.length()).add(lower);
            }
        }
        byLength = new String[max + 1][];
        for (int i = 0; i <= max; i++) {
            byLength[i] = buckets.get(i).toArray(String[]::new);
        }
    }

    public boolean contains(CharSequence name) {
        int length = name.length();
        if (length >= byLength.length) {
            return false;
        }
        for (String candidate : byLength[length]) {
            if (equalsLowerCase(name, candidate)) {
                return true;
            }
        }
        return false;
    }

    private static boolean equalsLowerCase(CharSequence name, String lower) {
        for (int i = 0; i < lower.length(); i++) {
            if (Character.toLowerCase(name.charAt(i)) != lower.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
