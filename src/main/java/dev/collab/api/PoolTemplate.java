package dev.collab.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;

/**
 * The part of a session spec a warm worker is started with. Credentials are not part of it: a warm worker holds
 * none of a session's. Its credentials mode decides which sessions may claim it: a Seeded worker starts empty and
 * receives the session's auth.json on claim; a Gateway worker starts with the gateway's base URL, egress proxy and
 * a placeholder bound to the worker, and receives nothing (the gateway maps the worker to the claiming session).
 */
public class PoolTemplate {
    @JsonPropertyDescription("Credentials mode of the warm workers (Seeded or Gateway); only sessions of the same"
            + " effective mode claim them. Default: the operator's collab.credentials.default-mode.")
    private CredentialsMode credentialsMode;

    @JsonPropertyDescription("opencode image; default from operator configuration (collab.session.image).")
    private String image;

    @JsonPropertyDescription("Resources of the opencode container; default from operator configuration.")
    private ResourceRequirements resources;

    @JsonPropertyDescription("Size of each warm HOME volume; default from operator configuration.")
    private Quantity storageSize;

    @JsonPropertyDescription("Storage class of each warm HOME volume; empty means the operator's default class.")
    private String storageClassName;

    public CredentialsMode getCredentialsMode() {
        return credentialsMode;
    }

    public void setCredentialsMode(CredentialsMode credentialsMode) {
        this.credentialsMode = credentialsMode;
    }

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
