package dev.collab.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.server.mock.KubernetesAttributesExtractor;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.crud.Attribute;
import io.fabric8.mockwebserver.crud.AttributeSet;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Persists what users and the operator created in the embedded API (CollabSessions with their annotations,
 * Secrets including the {@code <name>-access} ones so session tokens stay stable, PVCs and ConfigMaps) to
 * {@code <data-dir>/api/state.json}, and loads it back at start. Pods are not kept: their processes died with
 * the previous run, the operator recreates them. A CollabSession's {@code status.endpoint} is dropped on load
 * for the same reason (it named a port of the previous run).
 */
final class ApiStateStore {
    private static final Logger LOG = Logger.getLogger(ApiStateStore.class);
    static final List<String> PERSISTED_PLURALS =
            List.of("collabsessions", "collabsessionpools", "secrets", "persistentvolumeclaims", "configmaps");
    private static final Map<String, String> PLURAL_BY_KIND = Map.of(
            "CollabSession",
            "collabsessions",
            "CollabSessionPool",
            "collabsessionpools",
            "Secret",
            "secrets",
            "PersistentVolumeClaim",
            "persistentvolumeclaims",
            "ConfigMap",
            "configmaps");
    private static final Set<String> PERSISTED_KINDS = PLURAL_BY_KIND.keySet();

    private final Path file;

    ApiStateStore(Path dataDir) {
        this.file = dataDir.resolve("api").resolve("state.json");
    }

    Path file() {
        return file;
    }

    /** Writes the persisted kinds of the store atomically (temp file + rename), readable by the owner only. */
    synchronized void save(KubernetesCrudDispatcher crud) {
        List<String> objects;
        Map<AttributeSet, String> map = crud.getMap();
        synchronized (map) {
            objects = new ArrayList<>(map.values());
        }
        ArrayNode items = Serialization.jsonMapper().createArrayNode();
        for (String json : objects) {
            try {
                JsonNode node = Serialization.jsonMapper().readTree(json);
                if (PERSISTED_KINDS.contains(node.path("kind").asText()) && isPersistedApi(node)) {
                    items.add(node);
                }
            } catch (IOException e) {
                LOG.debugf("skipping an unreadable object while saving: %s", e.getMessage());
            }
        }
        ObjectNode root = Serialization.jsonMapper().createObjectNode();
        root.put("version", 1);
        root.set("items", items);
        try {
            Files.createDirectories(file.getParent());
            restrict(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, Serialization.asJson(root), StandardCharsets.UTF_8);
            restrict(tmp);
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            LOG.errorf("could not save the local API state to %s: %s", file, e.getMessage());
        }
    }

    /** Puts the saved objects back into an empty store, keeping uid, annotations and status (minus endpoint). */
    int load(KubernetesCrudDispatcher crud) {
        if (!Files.isRegularFile(file)) {
            return 0;
        }
        JsonNode root;
        try {
            root = Serialization.jsonMapper().readTree(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the local API state " + file, e);
        }
        int loaded = 0;
        for (JsonNode item : root.path("items")) {
            if (!(item instanceof ObjectNode object)
                    || !PERSISTED_KINDS.contains(object.path("kind").asText())) {
                continue;
            }
            ObjectNode metadata = (ObjectNode) object.get("metadata");
            if (metadata == null || metadata.path("name").asText().isEmpty()) {
                continue;
            }
            // fresh resource versions from this run's counter (it restarts at 0), so versions never go backwards
            metadata.put("resourceVersion", Long.toString(crud.requestResourceVersion()));
            if (object.get("status") instanceof ObjectNode status) {
                status.remove("endpoint");
            }
            String json = Serialization.asJson(object);
            GenericKubernetesResource resource = Serialization.unmarshal(json, GenericKubernetesResource.class);
            String collection = collectionPath(object);
            AttributeSet pathAttributes = crud.getKey(collection)
                    .add(new Attribute(
                            KubernetesAttributesExtractor.NAME,
                            metadata.path("name").asText()));
            crud.processEvent(collection, pathAttributes, null, resource, json);
            loaded++;
        }
        return loaded;
    }

    private static boolean isPersistedApi(JsonNode node) {
        String apiVersion = node.path("apiVersion").asText();
        return node.path("kind").asText().startsWith("CollabSession")
                ? apiVersion.startsWith("collab.dev/")
                : "v1".equals(apiVersion);
    }

    static String collectionPath(JsonNode object) {
        String apiVersion = object.path("apiVersion").asText();
        String namespace = object.path("metadata").path("namespace").asText("default");
        String plural = PLURAL_BY_KIND.get(object.path("kind").asText());
        String base = apiVersion.contains("/") ? "/apis/" + apiVersion : "/api/" + apiVersion;
        return base + "/namespaces/" + namespace + "/" + plural;
    }

    static void restrict(Path path) {
        try {
            Files.setPosixFilePermissions(
                    path, PosixFilePermissions.fromString(Files.isDirectory(path) ? "rwx------" : "rw-------"));
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system: keep the default permissions
        }
    }
}
