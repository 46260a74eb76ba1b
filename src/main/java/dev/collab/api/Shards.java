package dev.collab.api;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Which operator shard a CollabSession or CollabSessionPool belongs to (docs/DESIGN.md section 12): a stable hash of
 * namespace and name, so a session deleted and created again under the same name lands on the same shard, and every
 * operator process computes the same answer without talking to the others. The uid is not used: it is new for a
 * recreated object, and the shard would then differ from the one its retained HOME claim was labelled with.
 */
public final class Shards {
    /** On sessions, pools and every child of a sharded session: the shard index, "0" to "count - 1". */
    public static final String LABEL = "collab.dev/shard";

    private Shards() {}

    /**
     * The shard of {@code namespace/name} among {@code count}: the first 8 bytes of sha256("namespace/name") as an
     * unsigned number, modulo {@code count}.
     */
    public static int of(String namespace, String name, int count) {
        if (count < 1) {
            throw new IllegalArgumentException("shard count must be at least 1, got " + count);
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest((namespace + "/" + name).getBytes(StandardCharsets.UTF_8));
            long prefix = ByteBuffer.wrap(digest, 0, Long.BYTES).getLong();
            return (int) Long.remainderUnsigned(prefix, count);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JRE", e);
        }
    }

    /** The label value of shard {@code index}. */
    public static String labelValue(int index) {
        return Integer.toString(index);
    }
}
