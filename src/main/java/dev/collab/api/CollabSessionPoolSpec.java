package dev.collab.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.kubernetes.model.annotation.SpecReplicas;

/** How many warm workers to keep and the template they share. */
public class CollabSessionPoolSpec {
    @SpecReplicas
    @Min(0)
    @JsonPropertyDescription("Number of warm (unclaimed) workers to keep; the scale subresource sets it.")
    private int replicas;

    @JsonPropertyDescription(
            "What every warm worker runs; a session claims only from a pool whose template equals its own"
                    + " effective image, resources and storage.")
    private PoolTemplate template = new PoolTemplate();

    public CollabSessionPoolSpec() {}

    public CollabSessionPoolSpec(int replicas) {
        this.replicas = replicas;
    }

    public int getReplicas() {
        return replicas;
    }

    public void setReplicas(int replicas) {
        this.replicas = replicas;
    }

    public PoolTemplate getTemplate() {
        return template;
    }

    public void setTemplate(PoolTemplate template) {
        this.template = template == null ? new PoolTemplate() : template;
    }
}
