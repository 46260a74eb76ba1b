package dev.collab.gateway;

import dev.collab.api.AccountPoolState;
import dev.collab.api.CollabSession;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Usage per session, added to the session's status.usage at most once per flush interval and only when it changed:
 * with the default 60 s that is at most 60 status writes per active session per hour, none for an idle one. Each
 * write adds this replica's delta to the current totals with a status update carrying the resourceVersion it read
 * (409 when anyone wrote in between), so replicas and the operator never overwrite one another; a lost race is retried, and a delta that
 * cannot be written stays pending for the next flush.
 */
final class UsageLedger implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(UsageLedger.class);
    private static final int ATTEMPTS = 3;

    private final KubernetesClient client;
    private final GatewayDirectory directory;
    private final GatewayMetrics metrics;
    private final PriceTable prices;
    private final Clock clock;
    private final Map<String, UsageDelta> pending = new ConcurrentHashMap<>();
    private final ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "collab-gateway-usage");
        t.setDaemon(true);
        return t;
    });

    /** Runs after every flush on the same writer thread (the account pools' state). */
    private final Runnable alsoOnFlush;

    UsageLedger(
            KubernetesClient client,
            GatewayDirectory directory,
            GatewayMetrics metrics,
            PriceTable prices,
            Clock clock,
            Runnable alsoOnFlush) {
        this.client = client;
        this.directory = directory;
        this.metrics = metrics;
        this.prices = prices;
        this.clock = clock;
        this.alsoOnFlush = alsoOnFlush;
    }

    UsageLedger start(java.time.Duration interval) {
        long ms = Math.max(100, interval.toMillis());
        writer.scheduleWithFixedDelay(this::flush, ms, ms, TimeUnit.MILLISECONDS);
        return this;
    }

    /**
     * One answered provider request of this session (usage null when the response carried none); returns its cost in
     * nano-USD (0 for a model without a price), which the owner's budget adds up too.
     */
    long record(GatewayDirectory.Target target, String account, Usage usage) {
        boolean priced = usage != null && prices.lookup(usage.model()).isPresent();
        long cost = prices.nanoUsd(usage);
        metrics.usage(target, usage, cost, priced);
        UsageDelta delta = usage == null
                ? UsageDelta.usage(1, 0, 0, 0, 0, 0, account)
                : UsageDelta.usage(
                        1,
                        usage.inputTokens(),
                        usage.outputTokens(),
                        usage.cacheReadTokens(),
                        usage.cacheWriteTokens(),
                        cost,
                        account);
        pending.merge(target.namespace() + "/" + target.name(), delta, UsageDelta::plus);
        return cost;
    }

    /** One connection of the session through the egress proxy (refused: opened nothing), with its bytes. */
    void recordEgress(GatewayDirectory.Target target, boolean refused, long bytesUp, long bytesDown) {
        UsageDelta delta =
                new UsageDelta(0, 0, 0, 0, 0, refused ? 0 : 1, refused ? 1 : 0, bytesUp, bytesDown, 0, null, Map.of());
        pending.merge(target.namespace() + "/" + target.name(), delta, UsageDelta::plus);
    }

    /**
     * One pass over the sessions pending now, each tried once (a delta that fails is merged back, never revisited in
     * this pass: revisiting is how the old loop spun forever with two sessions and a closed client). The first
     * failure that is not an HTTP answer (closed client, API server unreachable) ends the pass: the rest stays
     * pending for the next flush instead of each waiting for its own connect timeout.
     */
    void flush() {
        for (String key : List.copyOf(pending.keySet())) {
            UsageDelta delta = pending.remove(key);
            if (delta == null) {
                continue;
            }
            String[] nsName = key.split("/", 2);
            try {
                if (!write(nsName[0], nsName[1], delta)) {
                    pending.merge(key, delta, UsageDelta::plus);
                }
            } catch (RuntimeException e) {
                pending.merge(key, delta, UsageDelta::plus);
                if (!(e instanceof KubernetesClientException k) || k.getCode() <= 0) {
                    LOG.debugf(
                            "usage not written, API server not reachable (%d sessions pending): %s",
                            pending.size(), e.getMessage());
                    return; // the pools' state would fail the same way: both wait for the next flush
                }
                LOG.debugf("usage of %s not written yet: %s", key, e.getMessage());
            }
        }
        alsoOnFlush.run();
    }

    /** Requests counted but not yet written, per namespace/name. */
    Map<String, Long> pendingRequests() {
        Map<String, Long> out = new TreeMap<>();
        pending.forEach((k, v) -> out.put(k, v.requests()));
        return out;
    }

    /** True when written, or when the session is gone (nothing to write to). */
    private boolean write(String namespace, String name, UsageDelta delta) {
        CollabSession cs = directory.session(namespace, name).orElse(null);
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            if (attempt > 0 || cs == null) {
                cs = client.resources(CollabSession.class)
                        .inNamespace(namespace)
                        .withName(name)
                        .get();
            }
            if (cs == null) {
                return true;
            }
            if (cs.getStatus() == null) {
                return false; // the operator has not written a status yet
            }
            CollabSession next = Serialization.clone(cs);
            if (delta.hasUsage()) {
                next.getStatus()
                        .setUsage(delta.addedTo(
                                cs.getStatus().getUsage(), clock.instant().toString()));
            }
            if (delta.hasEgress()) {
                next.getStatus()
                        .setEgress(delta.egressAddedTo(
                                cs.getStatus().getEgress(), clock.instant().toString()));
            }
            // The pool's counts ride on this write (the operator writes status.accounts only when a state changes):
            // one status write per session per interval in all (issue 30).
            directory
                    .poolOf(next)
                    .ifPresent(pool -> next.getStatus()
                            .setAccounts(AccountPoolState.countsFrom(
                                    next.getStatus().getAccounts(), AccountPoolState.counts(pool.published()))));
            try {
                // the resourceVersion it was read at: 409 when anyone wrote in between
                client.resources(CollabSession.class)
                        .inNamespace(namespace)
                        .resource(next)
                        .updateStatus();
                metrics.statusWrite();
                return true;
            } catch (KubernetesClientException e) {
                if (e.getCode() == 404) {
                    return true;
                }
                if (e.getCode() != 409) {
                    throw e;
                }
                // another writer came first: read again and add to the new totals
            }
        }
        return false;
    }

    @Override
    public void close() {
        writer.shutdown();
        try {
            writer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        flush(); // what was counted since the last flush (GatewayWiring runs this before the client closes)
        if (!pending.isEmpty()) {
            LOG.warnf("usage of %d sessions could not be written before shutdown", pending.size());
        }
    }
}
