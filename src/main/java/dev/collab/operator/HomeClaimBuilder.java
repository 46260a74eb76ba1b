package dev.collab.operator;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.StorageSpec;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;

/** Desired PVC `<name>-home`: the session HOME. Owned by the session unless storage.retainOnDelete. */
public final class HomeClaimBuilder {

    private HomeClaimBuilder() {}

    public static PersistentVolumeClaim desired(CollabSession session, OperatorSettings settings) {
        StorageSpec storage = session.getSpec().getStorage() == null
                ? new StorageSpec()
                : session.getSpec().getStorage();
        Quantity size = storage.getSize() != null ? storage.getSize() : new Quantity(settings.storageSize());
        String storageClass = blankToNull(storage.getStorageClassName());
        if (storageClass == null) {
            storageClass = blankToNull(settings.storageClass());
        }
        return new PersistentVolumeClaimBuilder()
                .withMetadata(ChildMetadata.of(
                                session,
                                CollabLabels.homeClaimName(session.getMetadata().getName()),
                                null,
                                isOwned(session))
                        .addToAnnotations(
                                CollabLabels.SESSION_UID, session.getMetadata().getUid())
                        .build())
                .withNewSpec()
                .withAccessModes("ReadWriteOnce")
                .withStorageClassName(storageClass)
                .withNewResources()
                .addToRequests("storage", size)
                .endResources()
                .endSpec()
                .build();
    }

    public static boolean isOwned(CollabSession session) {
        return session.getSpec().getStorage() == null
                || !session.getSpec().getStorage().isRetainOnDelete();
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }
}
