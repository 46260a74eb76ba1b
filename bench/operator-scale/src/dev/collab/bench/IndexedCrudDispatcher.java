package dev.collab.bench;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesAttributesExtractor;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.crud.Attribute;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fabric8.mockwebserver.http.MockResponse;
import java.net.HttpURLConnection;
import java.util.AbstractMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Fabric8 CRUD dispatcher with a name index: its own lookups scan the whole store for every
 * request by name (findResource, GET and DELETE by name), which makes every write O(objects) and
 * a 5,000-session store spend its time scanning. This keeps a (plural, namespace, name) -> stored
 * key index, maintained in processEvent (every create, update, patch and delete goes through it),
 * and answers single-object lookups from it. Lists, watches and anything unusual still scan.
 * Benchmark plumbing only: not used by the product.
 */
final class IndexedCrudDispatcher extends KubernetesCrudDispatcher {
    private final Map<String, AttributeSet> index = new ConcurrentHashMap<>();
    private final KubernetesAttributesExtractor extractor;

    IndexedCrudDispatcher(List<CustomResourceDefinitionContext> crds) {
        super(crds);
        this.extractor = (KubernetesAttributesExtractor) attributeExtractor;
    }

    private static String value(AttributeSet set, String key) {
        Attribute a = set.getAttribute(key);
        if (a == null || a.getValues().size() != 1) {
            return null;
        }
        String v = a.getValues().get(0).toString();
        return v == null || v.equals("*") ? null : v;
    }

    private static String indexKey(AttributeSet set) {
        String plural = value(set, KubernetesAttributesExtractor.PLURAL);
        String name = value(set, KubernetesAttributesExtractor.NAME);
        if (plural == null || name == null) {
            return null;
        }
        String ns = value(set, KubernetesAttributesExtractor.NAMESPACE);
        return plural + "/" + (ns == null ? "" : ns) + "/" + name;
    }

    @Override
    public Map.Entry<AttributeSet, String> findResource(AttributeSet attributes) {
        String key = indexKey(attributes);
        if (key == null) {
            return super.findResource(attributes);
        }
        AttributeSet stored = index.get(key);
        if (stored == null) {
            return null;
        }
        String body = map.get(stored);
        if (body == null || !stored.matches(attributes)) {
            return super.findResource(attributes);
        }
        return new AbstractMap.SimpleImmutableEntry<>(stored, body);
    }

    @Override
    public void processEvent(String path, AttributeSet pathAttributes, AttributeSet oldAttributes,
            GenericKubernetesResource resource, String newState) {
        super.processEvent(path, pathAttributes, oldAttributes, resource, newState);
        if (oldAttributes != null) {
            String oldKey = indexKey(oldAttributes);
            if (oldKey != null) {
                index.remove(oldKey, oldAttributes);
            }
        }
        if (newState != null) {
            // The same key the superclass stored the new state under.
            AttributeSet stored = resource != null ? extractor.extract(resource) : extractor.fromResource(newState);
            if (!stored.containsKey(KubernetesAttributesExtractor.PLURAL)) {
                stored = AttributeSet.merge(pathAttributes, stored);
            }
            String newKey = indexKey(stored);
            if (newKey != null && map.containsKey(stored)) {
                index.put(newKey, stored);
            }
        }
    }

    private static boolean plainPath(String path) {
        return !path.contains("?");
    }

    @Override
    public MockResponse handleGet(String path) {
        AttributeSet query = plainPath(path) ? getKey(path) : null;
        if (query == null || indexKey(query) == null) {
            return super.handleGet(path);
        }
        Map.Entry<AttributeSet, String> found = findResource(query);
        return found == null ? new MockResponse().setResponseCode(HttpURLConnection.HTTP_NOT_FOUND)
                : new MockResponse().setResponseCode(HttpURLConnection.HTTP_OK).setBody(found.getValue());
    }

    @Override
    public MockResponse handleDelete(String path) {
        AttributeSet query = plainPath(path) ? getKey(path) : null;
        if (query == null || indexKey(query) == null) {
            return super.handleDelete(path);
        }
        synchronized (this) {
            Map.Entry<AttributeSet, String> found = findResource(query);
            if (found == null) {
                return new MockResponse().setResponseCode(HttpURLConnection.HTTP_NOT_FOUND);
            }
            GenericKubernetesResource r = Serialization.unmarshal(found.getValue(), GenericKubernetesResource.class);
            if (!r.getFinalizers().isEmpty()) {
                return super.handleDelete(path);
            }
            processEvent(path, query, found.getKey(), null, null);
            return new MockResponse().setResponseCode(HttpURLConnection.HTTP_OK).setBody(found.getValue());
        }
    }
}
