package dev.collab.api;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;

/** Owner references that point at a CollabSession, so its children are garbage-collected with it. */
public final class OwnerReferences {

    private OwnerReferences() {}

    /** The operator's children: the session is their controller and blocks its own deletion until they are gone. */
    public static OwnerReference controller(CollabSession session) {
        return new OwnerReferenceBuilder(plain(session))
                .withController(true)
                .withBlockOwnerDeletion(true)
                .build();
    }

    /**
     * A reference collected with the session, neither controlling nor blocking its deletion (which needs the
     * finalizers permission on sessions). The router's credential Secret carried one until issue 30; it belongs to
     * the owner now and carries none.
     */
    public static OwnerReference plain(CollabSession session) {
        return new OwnerReferenceBuilder()
                .withApiVersion(CollabSession.API_VERSION)
                .withKind(CollabSession.KIND)
                .withName(session.getMetadata().getName())
                .withUid(session.getMetadata().getUid())
                .build();
    }
}
