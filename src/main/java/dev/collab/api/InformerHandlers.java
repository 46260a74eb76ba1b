package dev.collab.api;

import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.List;
import java.util.function.Consumer;

/**
 * Fabric8 informer handlers that react the same way to an add and an update (local node, gateway), and the synced
 * check of a directory's informers (router, gateway).
 */
public final class InformerHandlers {

    private InformerHandlers() {}

    /** `upsert` on add and update (the new state), `delete` on delete. */
    public static <T> ResourceEventHandler<T> of(Consumer<T> upsert, Consumer<T> delete) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(T obj) {
                upsert.accept(obj);
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                upsert.accept(newObj);
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                delete.accept(obj);
            }
        };
    }

    /** Whether there are informers and every one has synced; asked on every proxied request, so no stream. */
    public static boolean allSynced(List<? extends SharedIndexInformer<?>> informers) {
        if (informers.isEmpty()) {
            return false;
        }
        for (SharedIndexInformer<?> informer : informers) {
            if (!informer.hasSynced()) {
                return false;
            }
        }
        return true;
    }
}
