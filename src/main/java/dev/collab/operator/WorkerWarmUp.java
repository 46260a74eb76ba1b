package dev.collab.operator;

import dev.collab.api.AccessSecrets;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jboss.logging.Logger;

/**
 * Issue 29: makes a Ready warm worker of a Gateway pool do, before any claim, what opencode does on the first
 * directory-scoped request (loading its project instance for the working directory: config, plugins, provider
 * state), so that the claiming session's first request does not wait for it. One {@code GET /session} with the
 * worker's own server password, once per pod, off the reconcile threads.
 *
 * <p>Safe to warm: a Gateway worker's HOME holds only the placeholder files bound to the worker, and its workspace is
 * the new, empty HOME volume that becomes the session's with the claim; the claim changes neither (the gateway maps
 * the worker to the session), so nothing the instance loaded belongs to, or must change for, a session. A Seeded
 * worker is not warmed: its credentials arrive by PUT /auth followed by a dispose of the instance.
 */
final class WorkerWarmUp {
    private static final Logger LOG = Logger.getLogger(WorkerWarmUp.class);
    /** The first instance load may wait for a plugin install. */
    static final Duration TIMEOUT = Duration.ofSeconds(60);

    private static final int MAX_REMEMBERED = 10_000;

    private final HttpClient http = HttpClient.newBuilder()
            // HTTP/1.1: opencode never answers a first request carrying "Upgrade: h2c" (see OpencodeBusyProbe)
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "collab-warm-up");
        t.setDaemon(true);
        return t;
    });
    /** Pod uids warmed or being warmed (a restarted operator warms again: a repeated GET costs nothing). */
    private final Set<String> started = ConcurrentHashMap.newKeySet();

    /** Starts warming this worker unless it was started already; returns at once. */
    void warm(String podUid, String endpoint, String serverPassword) {
        if (podUid == null || endpoint == null || serverPassword == null) {
            return;
        }
        if (started.size() > MAX_REMEMBERED) {
            started.clear(); // warming again costs one GET per pod
        }
        if (!started.add(podUid)) {
            return;
        }
        executor.execute(() -> {
            try {
                HttpResponse<Void> response = http.send(
                        HttpRequest.newBuilder(URI.create(endpoint + "/session"))
                                .timeout(TIMEOUT)
                                .header("Authorization", AccessSecrets.opencodeAuthorization(serverPassword))
                                .GET()
                                .build(),
                        HttpResponse.BodyHandlers.discarding());
                LOG.debugf("warm worker at %s: GET /session answered %d", endpoint, response.statusCode());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                started.remove(podUid); // tried again on the next reconcile of its pool
                LOG.debugf("warm worker at %s not warmed: %s", endpoint, e.toString());
            }
        });
    }
}
