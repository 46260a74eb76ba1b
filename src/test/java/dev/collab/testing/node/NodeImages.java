package dev.collab.testing.node;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The images {@code tools/images/build.sh} built, read from the env file it prints ({@code $COLLAB_IMAGES_ENV}, else
 * {@code ~/.cache/collab/images/images.env}): {@code COLLAB_IMAGE_<KIND>} is the fully qualified name containerd knows
 * the image by, {@code COLLAB_IMAGE_<KIND>_ARCHIVE} the archive that {@code ctr images import} takes.
 */
public record NodeImages(Map<String, String> values) {
    static final List<String> KINDS = List.of("PAUSE", "COREDNS", "APP", "SESSION");

    public static Path location() {
        String explicit = System.getenv("COLLAB_IMAGES_ENV");
        return explicit != null && !explicit.isBlank()
                ? Path.of(explicit)
                : Path.of(System.getProperty("user.home"), ".cache/collab/images/images.env");
    }

    /** The images when the env file names every kind and every archive exists. */
    public static Optional<NodeImages> find() {
        Path file = location();
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            Map<String, String> values = new LinkedHashMap<>();
            for (String line : Files.readAllLines(file)) {
                int eq = line.indexOf('=');
                if (eq > 0 && !line.startsWith("#")) {
                    values.put(
                            line.substring(0, eq).trim(),
                            line.substring(eq + 1).trim().replaceAll("^\"|\"$", ""));
                }
            }
            NodeImages images = new NodeImages(values);
            boolean complete = KINDS.stream()
                    .allMatch(k -> values.containsKey(key(k))
                            && Files.isRegularFile(Path.of(values.getOrDefault(key(k) + "_ARCHIVE", "/nonexistent"))));
            return complete ? Optional.of(images) : Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String key(String kind) {
        return "COLLAB_IMAGE_" + kind;
    }

    public List<Path> archives() {
        return KINDS.stream().map(k -> Path.of(values.get(key(k) + "_ARCHIVE"))).toList();
    }

    public String pause() {
        return values.get(key("PAUSE"));
    }

    public String coredns() {
        return values.get(key("COREDNS"));
    }

    /** The operator, router and gateway image. */
    public String app() {
        return values.get(key("APP"));
    }

    /** The session (opencode) image. */
    public String session() {
        return values.get(key("SESSION"));
    }
}
