package dev.collab.operator;

import dev.collab.api.CollabSession;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.processing.event.source.filter.OnUpdateFilter;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps the echo of the operator's own status patch from causing a reconcile. With status changes as events
 * ({@code generationAwareEventProcessing = false}, the gateway's usage and the kubelet-driven phases are status), the
 * session watch brings every status patch back; the reconcile it caused decided exactly what the patching one had
 * (same children, same clock window) and wrote nothing: 2 of the ~5.7 reconciles per session to Running in
 * bench/operator-scale. An update is an echo when its resourceVersion is the one the patch's response carried; any
 * other writer's update (gateway usage, a spec edit, kubectl) has another resourceVersion and passes.
 *
 * <p>JOSDK instantiates the filter by its class (the {@code @Informer} annotation), so the versions live in one
 * registry per JVM, keyed by the session's uid (unique per object, so operators sharing a JVM in tests never match
 * each other's sessions). An echo that arrives before the patch's response is recorded is reconciled as before.
 */
public final class OwnStatusEchoes implements OnUpdateFilter<CollabSession> {
    /** Far above any shard's sessions: reached only if echoes never came (a watch gap); forgetting is safe. */
    static final int MAX_REMEMBERED = 100_000;

    private static final Map<String, String> PATCHED = new ConcurrentHashMap<>();

    /** The response of this operator's status patch of {@code patched}: its next echo is no event. */
    static void patched(HasMetadata patched) {
        if (PATCHED.size() >= MAX_REMEMBERED) {
            PATCHED.clear();
        }
        PATCHED.put(patched.getMetadata().getUid(), patched.getMetadata().getResourceVersion());
    }

    /** Whether {@code updated} is the echo of an own patch (forgotten once seen). */
    static boolean isEcho(HasMetadata updated) {
        String uid = updated.getMetadata().getUid();
        String version = updated.getMetadata().getResourceVersion();
        return uid != null && version != null && PATCHED.remove(uid, version);
    }

    static int remembered() {
        return PATCHED.size();
    }

    @Override
    public boolean accept(CollabSession updated, CollabSession old) {
        return !isEcho(updated);
    }
}
