package dev.collab.api;

import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import java.util.function.Consumer;

/** Fabric8 informer handlers that react the same way to an add and an update (local node, gateway). */
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
}
