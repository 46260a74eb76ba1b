package dev.collab.operator;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The spec hash of each session's desired worker pod, remembered by what the pod is built from: the session
 * (uid and generation: the spec only changes with the generation), the credentials hash and the worker's name; the
 * operator's settings are fixed for the process. Every reconcile of a running session compares its pod's hash with
 * the desired one; building the pod and hashing its JSON was a fifth of the reconcile threads' CPU in
 * bench/operator-scale's profile (bench/operator-scale/RESULTS.md). The pod itself is built only to be created, and
 * that build is remembered too.
 * Forgotten with the session's pod (like the probes' memory) and bounded.
 */
final class DesiredSpecHashes {
    static final int MAX_REMEMBERED = 100_000;

    private record Entry(String inputs, String hash) {}

    private final Map<ResourceID, Entry> remembered = new ConcurrentHashMap<>();
    private final OperatorSettings settings;

    DesiredSpecHashes(OperatorSettings settings) {
        this.settings = settings;
    }

    /** The spec hash {@link WorkerPodBuilder#desired} would annotate the pod with for these inputs. */
    String of(CollabSession session, CredentialsState credentials, WorkerNames names) {
        String inputs = inputs(session, credentials, names);
        Entry known = inputs == null ? null : remembered.get(ResourceID.fromResource(session));
        if (known != null && known.inputs().equals(inputs)) {
            return known.hash();
        }
        return hashOf(build(session, credentials, names, inputs));
    }

    /** The desired pod, to be created: its hash is remembered for the reconciles that follow. */
    Pod pod(CollabSession session, CredentialsState credentials, WorkerNames names) {
        return build(session, credentials, names, inputs(session, credentials, names));
    }

    private Pod build(CollabSession session, CredentialsState credentials, WorkerNames names, String inputs) {
        Pod pod = WorkerPodBuilder.desired(session, settings, credentials, names);
        if (inputs != null) {
            if (remembered.size() >= MAX_REMEMBERED) {
                remembered.clear();
            }
            remembered.put(ResourceID.fromResource(session), new Entry(inputs, hashOf(pod)));
        }
        return pod;
    }

    /** What the pod spec is built from, or null when the session carries no uid or generation (not remembered). */
    private static String inputs(CollabSession session, CredentialsState credentials, WorkerNames names) {
        Long generation = session.getMetadata().getGeneration();
        String uid = session.getMetadata().getUid();
        return generation == null || uid == null
                ? null
                : uid + "/" + generation + "/" + credentials.hash() + "/" + names.pod();
    }

    private static String hashOf(Pod pod) {
        return pod.getMetadata().getAnnotations().get(CollabLabels.SPEC_HASH);
    }

    void podGone(ResourceID session) {
        remembered.remove(session);
    }

    int remembered() {
        return remembered.size();
    }
}
