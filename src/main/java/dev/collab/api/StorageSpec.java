package dev.collab.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Quantity;

/** The PVC that is the session's HOME. */
public class StorageSpec {
    /** A Kubernetes quantity without sign or exponent, not zero (binary or decimal suffix). */
    static final String SIZE_PATTERN =
            "^(0*[1-9][0-9]*(\\\\.[0-9]+)?|0*\\\\.[0-9]*[1-9][0-9]*)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$";

    /** A positive quantity: the API server refuses "lots" or "-1Gi" instead of the operator finding out later. */
    @ValidationRule(
            value = "type(self) == int ? self > 0 : self.matches('" + SIZE_PATTERN + "')",
            message = "storage size must be a positive quantity such as 2Gi, 500Mi or 10G")
    @JsonPropertyDescription(
            "Size of the HOME volume; default from operator configuration (collab.session.storage-size).")
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
