package dev.collab.operator;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The seed-home init container's shell script (resource seed-home.sh, tested by running it with sh). */
public final class SeedHomeScript {
    public static final String TEXT = load();

    private SeedHomeScript() {
    }

    private static String load() {
        try (InputStream in = SeedHomeScript.class.getResourceAsStream("seed-home.sh")) {
            if (in == null) {
                throw new IllegalStateException("seed-home.sh is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
