package dev.collab.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Quantity;

/** The PVC that is the session's HOME. */
public class StorageSpec {
    @JsonPropertyDescription("Size of the HOME volume; default from operator configuration (collab.session.storage-size).")
    private Quantity size;

    @JsonPropertyDescription("Storage class of the HOME volume; empty means the cluster default class.")
    private String storageClassName;

    @JsonPropertyDescription("true: the PVC outlives the CollabSession (it is not owned by it).")
    private boolean retainOnDelete;

    public Quantity getSize() {
        return size;
    }

    public void setSize(Quantity size) {
        this.size = size;
    }

    public String getStorageClassName() {
        return storageClassName;
    }

    public void setStorageClassName(String storageClassName) {
        this.storageClassName = storageClassName;
    }

    public boolean isRetainOnDelete() {
        return retainOnDelete;
    }

    public void setRetainOnDelete(boolean retainOnDelete) {
        this.retainOnDelete = retainOnDelete;
    }
}
