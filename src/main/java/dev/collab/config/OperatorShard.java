package dev.collab.config;

import dev.collab.api.Shards;

/**
 * This operator process's shard (docs/DESIGN.md section 12): which sessions and pools it reconciles, the label selector
 * its informers add, and the Lease its replicas elect a leader with.
 *
 * @param index this process's shard, 0 to count - 1
 * @param count how many shards; 1 = not sharded (no selector, no shard label, the Lease of before sharding)
 */
public record OperatorShard(int index, int count) {
    /** The Lease of an unsharded operator; shard k of several elects on {@code <this>-shard-k}. */
    public static final String LEASE_BASE = "collab-session-operator";

    public static final OperatorShard SINGLE = new OperatorShard(0, 1);

    public OperatorShard {
        if (count < 1) {
            throw new IllegalArgumentException("collab.operator.shards must be at least 1, got " + count);
        }
        if (count > 1 && (index < 0 || index >= count)) {
            throw new IllegalArgumentException("collab.operator.shard must be between 0 and " + (count - 1)
                    + " (collab.operator.shards=" + count + "), got " + index);
        }
        if (count == 1) {
            index = 0;
        }
    }

    public static OperatorShard from(CollabConfig config) {
        return of(config.operator().shard(), config.operator().shards());
    }

    public static OperatorShard of(int index, int count) {
        return new OperatorShard(index, count);
    }

    public boolean sharded() {
        return count > 1;
    }

    public String labelValue() {
        return Shards.labelValue(index);
    }

    /** The selector of this shard's objects, or null when not sharded (every object is this process's). */
    public String selector() {
        return sharded() ? Shards.LABEL + "=" + labelValue() : null;
    }

    /** {@code selector} narrowed to this shard's objects (unchanged when not sharded). */
    public String narrow(String selector) {
        return sharded() ? selector + "," + selector() : selector;
    }

    /** Whether {@code namespace/name} belongs to this shard ({@link Shards#of}); always true when not sharded. */
    public boolean owns(String namespace, String name) {
        return !sharded() || Shards.of(namespace, name, count) == index;
    }

    public String leaseName() {
        return sharded() ? LEASE_BASE + "-shard-" + index : LEASE_BASE;
    }

    @Override
    public String toString() {
        return sharded() ? "shard " + index + " of " + count : "not sharded";
    }
}
