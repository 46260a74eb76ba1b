package dev.collab.router;

import dev.collab.api.CollabSession;
import io.vertx.core.http.HttpServerResponse;
import java.util.List;

/**
 * Pipeline step shared by the proxy and the collab endpoints: finds the session a request names in the informer
 * cache. Each method answers the JSON error itself and returns false or null when the request may not go on.
 */
final class SessionLookup {
    static final int RETRY_AFTER_SECONDS = 5;

    private final SessionDirectory directory;

    SessionLookup(SessionDirectory directory) {
        this.directory = directory;
    }

    SessionDirectory directory() {
        return directory;
    }

    /** 503 until the informers have synced: before that, "unknown session" would be a lie. */
    boolean synced(HttpServerResponse resp, String name) {
        if (directory.synced()) {
            return true;
        }
        HttpErrors.send(resp, 503, "router is starting: session directory not synced yet", name, 1);
        return false;
    }

    /** The one session of that name, or null after answering {@code notFoundStatus} or 409. */
    CollabSession unique(HttpServerResponse resp, String name, int notFoundStatus, String notFoundError) {
        List<CollabSession> found = directory.find(name);
        if (found.isEmpty()) {
            HttpErrors.send(resp, notFoundStatus, notFoundError, name);
            return null;
        }
        if (found.size() > 1) {
            HttpErrors.send(resp, 409, "session name exists in several namespaces", name);
            return null;
        }
        return found.get(0);
    }

    /** The session's access Secret (token and server password), or null after answering 503. */
    SessionDirectory.Access access(HttpServerResponse resp, CollabSession cs) {
        SessionDirectory.Access access = directory.access(cs).orElse(null);
        if (access == null) {
            HttpErrors.send(resp, 503, "session access secret not ready", cs.getMetadata().getName(), RETRY_AFTER_SECONDS);
        }
        return access;
    }
}
