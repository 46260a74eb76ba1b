package dev.collab.operator;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the next list of conditions from the previous one: lastTransitionTime moves only when a
 * condition's status changes, and every condition records the generation it was computed from.
 */
final class ConditionSet {
    private final Map<String, Condition> previous = new LinkedHashMap<>();
    private final Map<String, Condition> next = new LinkedHashMap<>();
    private final long generation;
    private final String now;

    ConditionSet(List<Condition> previous, long generation, Instant now) {
        if (previous != null) {
            previous.forEach(c -> this.previous.put(c.getType(), c));
        }
        this.generation = generation;
        this.now = now.toString();
    }

    ConditionSet set(String type, boolean status, String reason, String message) {
        String statusText = status ? "True" : "False";
        Condition before = previous.get(type);
        String transition = before != null && statusText.equals(before.getStatus()) && before.getLastTransitionTime() != null
                ? before.getLastTransitionTime()
                : now;
        next.put(type, new ConditionBuilder()
                .withType(type)
                .withStatus(statusText)
                .withReason(reason)
                .withMessage(message == null ? "" : message)
                .withLastTransitionTime(transition)
                .withObservedGeneration(generation)
                .build());
        return this;
    }

    List<Condition> build() {
        return new ArrayList<>(next.values());
    }
}
