package dev.collab.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;

/**
 * The part of a session spec a warm worker is started with. Credentials are not part of it: a warm worker holds
 * none. Extension point: a credential mode (Seeded, Gateway) belongs here once spec.credentials.mode exists; a
 * Gateway-mode template would start workers with the gateway base URL and receive only the placeholder on claim.
 */
public class PoolTemplate {
    @JsonPropertyDescription("opencode image; default from operator configuration (collab.session.image).")
    private String image;

    @JsonPropertyDescription("Resources of the opencode container; default from operator configuration.")
    private ResourceRequirements resources;

    @JsonPropertyDescription("Size of each warm HOME volume; default from operator configuration.")
    private Quantity storageSize;

    @JsonPropertyDescription("Storage class of each warm HOME volume; empty means the operator's default class.")
    private String storageClassName;

    public String getImage() {
        return image;
    }

    public void setImage(String image) {
        this.image = image;
    }

    public ResourceRequirements getResources() {
        return resources;
    }

    public void setResources(ResourceRequirements resources) {
        this.resources = resources;
    }

    public Quantity getStorageSize() {
        return storageSize;
    }

    public void setStorageSize(Quantity storageSize) {
        this.storageSize = storageSize;
    }

    public String getStorageClassName() {
        return storageClassName;
    }

    public void setStorageClassName(String storageClassName) {
        this.storageClassName = storageClassName;
    }
}
