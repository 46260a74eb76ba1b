package dev.collab.operator;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;

/**
 * An informer cache that drops {@code metadata.managedFields} as objects come in, as controller-runtime's
 * {@code TransformStripManagedFields} does. A real API server adds one entry per field manager to every object
 * (the mock server adds none); nothing here reads them, the operator uses no server-side apply, and an update that
 * carries no managedFields leaves the server's record untouched. Measured in bench/operator-scale (README).
 */
public class ManagedFieldsFreeStore<T extends HasMetadata> extends BasicItemStore<T> {
    public ManagedFieldsFreeStore() {
        super(Cache::metaNamespaceKeyFunc);
    }

    @Override
    public T put(String key, T obj) {
        if (obj.getMetadata() != null) {
            obj.getMetadata().setManagedFields(null);
        }
        return super.put(key, obj);
    }
}
