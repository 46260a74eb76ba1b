package dev.collab.operator;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionStatus;
import dev.collab.api.ConditionReasons;
import dev.collab.api.ConditionTypes;
import dev.collab.api.SessionPhase;
import io.fabric8.kubernetes.api.model.Condition;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Gauges over the cached sessions that carry an owner (its label value, as the gateway's metrics) or a reason, never
 * a session name:
 * collab_sessions_by_owner{namespace,owner,phase}, collab_sessions_not_ready{namespace,reason} (the Ready condition's
 * reason of sessions that should serve: StartTimeout, CrashLoopBackOff, ...), and
 * collab_sessions_relogin_required{namespace,owner}. One count of the cache per scrape (memoized for a second), not
 * one pass per gauge. A series is registered when first seen and reads 0 once nothing matches (until a restart).
 */
final class SessionGauges {
    record Series(String name, Tags tags) {}

    private final MeterRegistry registry;
    private final Supplier<Stream<CollabSession>> sessions;
    private final Set<Series> registered = ConcurrentHashMap.newKeySet();
    private Map<Series, Long> counts = Map.of();
    private long countedAt;

    SessionGauges(MeterRegistry registry, Supplier<Stream<CollabSession>> sessions) {
        this.registry = registry;
        this.sessions = sessions;
        // read at every scrape: it recounts, which registers the series seen for the first time
        Gauge.builder(
                        "collab_session_owners",
                        this,
                        g -> g.recount().keySet().stream()
                                .filter(s -> s.name().equals("collab_sessions_by_owner"))
                                .map(s -> s.tags().and("phase", "").stream().toList())
                                .distinct()
                                .count())
                .strongReference(true)
                .description("Distinct namespace and owner pairs among the CollabSessions")
                .register(registry);
    }

    /** The series of these sessions and their counts (pure: the unit tests call it). */
    static Map<Series, Long> count(Stream<CollabSession> sessions) {
        Map<Series, Long> out = new HashMap<>();
        sessions.forEach(cs -> {
            CollabSessionStatus st = cs.getStatus();
            if (st == null || st.getPhase() == null) {
                return;
            }
            String ns = cs.getMetadata().getNamespace();
            // the owner as the gateway's metrics and the children's labels carry it (label-safe, with a hash)
            String owner = cs.getSpec() == null || cs.getSpec().getOwner() == null
                    ? null
                    : CollabLabels.ownerLabelValue(cs.getSpec().getOwner());
            if (owner != null) {
                out.merge(
                        new Series(
                                "collab_sessions_by_owner",
                                Tags.of(
                                        "namespace",
                                        ns,
                                        "owner",
                                        owner,
                                        "phase",
                                        st.getPhase().name())),
                        1L,
                        Long::sum);
                if (st.isConditionTrue(ConditionTypes.RELOGIN_REQUIRED)) {
                    out.merge(
                            new Series("collab_sessions_relogin_required", Tags.of("namespace", ns, "owner", owner)),
                            1L,
                            Long::sum);
                }
            }
            Condition ready = st.condition(ConditionTypes.READY);
            if (st.getPhase() != SessionPhase.Running
                    && st.getPhase() != SessionPhase.Stopped
                    && ready != null
                    && "False".equals(ready.getStatus())
                    && ready.getReason() != null) {
                out.merge(
                        new Series("collab_sessions_not_ready", Tags.of("namespace", ns, "reason", ready.getReason())),
                        1L,
                        Long::sum);
            }
        });
        return out;
    }

    /** Ready reasons whose series exist (at 0) for every namespace with sessions: the alerts and panels read them. */
    static final List<String> BASELINE_REASONS = List.of(
            ConditionReasons.POD_CREATING,
            ConditionReasons.POD_STARTING,
            ConditionReasons.START_TIMEOUT,
            "CrashLoopBackOff");

    private synchronized Map<Series, Long> recount() {
        long now = System.nanoTime();
        if (now - countedAt > 1_000_000_000L || countedAt == 0) {
            counts = count(sessions.get());
            countedAt = now;
            counts.keySet().forEach(this::register);
            counts.keySet().stream()
                    .map(s -> tag(s, "namespace"))
                    .distinct()
                    .forEach(ns -> BASELINE_REASONS.forEach(reason -> register(
                            new Series("collab_sessions_not_ready", Tags.of("namespace", ns, "reason", reason)))));
        }
        return counts;
    }

    private void register(Series series) {
        if (registered.add(series)) {
            Gauge.builder(series.name(), this, g -> g.recount().getOrDefault(series, 0L))
                    .strongReference(true) // nothing else holds this object: a weak one would read NaN after a GC
                    .description(description(series.name()))
                    .tags(series.tags())
                    .register(registry);
        }
    }

    private static String description(String name) {
        return switch (name) {
            case "collab_sessions_by_owner" -> "CollabSessions by namespace, owner and phase";
            case "collab_sessions_not_ready" ->
                "Starting or Failed CollabSessions by the reason of their Ready condition";
            default -> "CollabSessions whose ReloginRequired condition is True, by namespace and owner";
        };
    }

    static String tag(Series s, String key) {
        return s.tags().stream()
                .filter(t -> t.getKey().equals(key))
                .map(Tag::getValue)
                .findFirst()
                .orElse(null);
    }
}
