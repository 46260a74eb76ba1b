package dev.collab.deploy;

import dev.collab.config.CollabConfig;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** Reads rendered manifests (multi-document YAML) into Fabric8 objects, and the project's files. */
final class Manifests {
    /** The repository root: tests run with the module directory as working directory. */
    static final Path ROOT = Path.of("").toAbsolutePath();

    static final Path CHART = ROOT.resolve("charts/collab-session-operator");
    static final Path DEPLOY = ROOT.resolve("deploy");
    static final Path CRDS = ROOT.resolve("crds");

    private static final Pattern DOCUMENT_SEPARATOR = Pattern.compile("(?m)^---[ \\t]*(#.*)?$");

    private Manifests() {}

    /** Every object of a multi-document YAML text; empty and comment-only documents are skipped. */
    static List<HasMetadata> parse(String yaml) {
        List<HasMetadata> objects = new ArrayList<>();
        for (String document : DOCUMENT_SEPARATOR.split(yaml)) {
            boolean empty = document.lines().map(String::strip).allMatch(l -> l.isEmpty() || l.startsWith("#"));
            if (empty) {
                continue;
            }
            KubernetesResource resource = Serialization.unmarshal(document);
            if (!(resource instanceof HasMetadata object)) {
                throw new AssertionError("not a Kubernetes object: " + document);
            }
            assertNoUnknownFields(
                    object, object.getKind() + "/" + object.getMetadata().getName());
            objects.add(object);
        }
        return objects;
    }

    /**
     * Fabric8 keeps fields its model does not know in additionalProperties: a misspelt field
     * (`readOnlyRootFileSystem`) would pass every other check while the API server drops it.
     */
    static void assertNoUnknownFields(Object value, String path) {
        if (value == null || value instanceof io.fabric8.kubernetes.api.model.GenericKubernetesResource) {
            return;
        }
        if (value instanceof java.util.Collection<?> items) {
            int i = 0;
            for (Object item : items) {
                assertNoUnknownFields(item, path + "[" + i++ + "]");
            }
            return;
        }
        if (value instanceof Map<?, ?> map) {
            map.forEach((k, v) -> assertNoUnknownFields(v, path + "." + k));
            return;
        }
        if (!value.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
            return;
        }
        for (java.lang.reflect.Method m : value.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || !m.getName().startsWith("get") || m.getDeclaringClass() == Object.class) {
                continue;
            }
            Object child;
            try {
                child = m.invoke(value);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
            if (m.getName().equals("getAdditionalProperties") && child instanceof Map<?, ?> unknown) {
                if (!unknown.isEmpty()) {
                    throw new AssertionError(path + ": unknown field(s) " + unknown.keySet());
                }
                continue;
            }
            assertNoUnknownFields(child, path + "." + m.getName().substring(3));
        }
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> yamlMap(Path file) {
        return Serialization.unmarshal(read(file), Map.class);
    }

    static <T extends HasMetadata> List<T> all(List<HasMetadata> objects, Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).collect(Collectors.toList());
    }

    static <T extends HasMetadata> Optional<T> find(
            List<HasMetadata> objects, Class<T> type, String namespace, String name) {
        return all(objects, type).stream()
                .filter(o -> name.equals(o.getMetadata().getName()))
                .filter(o ->
                        namespace == null || namespace.equals(o.getMetadata().getNamespace()))
                .findFirst();
    }

    static <T extends HasMetadata> T get(List<HasMetadata> objects, Class<T> type, String namespace, String name) {
        return find(objects, type, namespace, name)
                .orElseThrow(() ->
                        new AssertionError(type.getSimpleName() + " " + namespace + "/" + name + " not rendered"));
    }

    /** The collab.* defaults as key -> value, read from {@link CollabConfig} (their one source). */
    static Map<String, String> collabDefaults() {
        CollabConfig defaults = CollabConfig.defaults();
        Map<String, String> values = new TreeMap<>();
        values.put("collab.session.image", defaults.session().image());
        values.put("collab.session.idle-timeout", defaults.session().idleTimeout());
        values.put("collab.session.storage-size", defaults.session().storageSize());
        values.put("collab.max-running", Integer.toString(defaults.maxRunning()));
        values.put("collab.router.wake-wait", defaults.router().wakeWait().toSeconds() + "s");
        values.put("collab.router.admin-token-secret", defaults.router().adminTokenSecret());
        values.put("collab.router.max-body", defaults.router().maxBody());
        return values;
    }
}
