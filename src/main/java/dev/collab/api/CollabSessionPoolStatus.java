package dev.collab.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.model.annotation.LabelSelector;
import io.fabric8.kubernetes.model.annotation.StatusReplicas;
import java.util.Objects;

/** Counts of the pool's workers, as the pool controller last saw them. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CollabSessionPoolStatus {
    /** Warm workers that exist (starting or ready), for the scale subresource. */
    @StatusReplicas
    private Integer replicas;
    /** Warm workers ready to be claimed. */
    private Integer ready;
    /** Workers of this pool that sessions claimed and still run. */
    private Integer claimed;
    /** spec.replicas as last acted on. */
    private Integer desired;
    /** Label selector of the warm pods, for an HPA. */
    @LabelSelector
    private String selector;

    private Long observedGeneration;

    public Integer getReplicas() {
        return replicas;
    }

    public void setReplicas(Integer replicas) {
        this.replicas = replicas;
    }

    public Integer getReady() {
        return ready;
    }

    public void setReady(Integer ready) {
        this.ready = ready;
    }

    public Integer getClaimed() {
        return claimed;
    }

    public void setClaimed(Integer claimed) {
        this.claimed = claimed;
    }

    public Integer getDesired() {
        return desired;
    }

    public void setDesired(Integer desired) {
        this.desired = desired;
    }

    public String getSelector() {
        return selector;
    }

    public void setSelector(String selector) {
        this.selector = selector;
    }

    public Long getObservedGeneration() {
        return observedGeneration;
    }

    public void setObservedGeneration(Long observedGeneration) {
        this.observedGeneration = observedGeneration;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CollabSessionPoolStatus s
                && Objects.equals(replicas, s.replicas)
                && Objects.equals(ready, s.ready)
                && Objects.equals(claimed, s.claimed)
                && Objects.equals(desired, s.desired)
                && Objects.equals(selector, s.selector)
                && Objects.equals(observedGeneration, s.observedGeneration);
    }

    @Override
    public int hashCode() {
        return Objects.hash(replicas, ready, claimed, desired, selector, observedGeneration);
    }
}
