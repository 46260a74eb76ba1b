package dev.collab.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.CollabSessionStatus;
import dev.collab.api.ConditionTypes;
import dev.collab.api.SessionPhase;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The operator's metrics: start latency's reference time, the per-owner and per-reason counts, histogram buckets. */
class OperatorMetricsTest {
    private static final Instant T0 = Instant.parse("2026-01-01T10:00:00Z");

    @Test
    void aColdStartCountsFromThePodsCreationAWarmClaimFromTheSessions() {
        // new session: pod created right after it
        assertEquals(
                new StartLatency.Measured(false, Duration.ofSeconds(5)),
                StartLatency.of(T0, T0.plusMillis(50), T0.plusMillis(5050)).orElseThrow());
        // woken session (created long ago): from its new pod's creation, not from the session's
        assertEquals(
                new StartLatency.Measured(false, Duration.ofSeconds(3)),
                StartLatency.of(T0.minusSeconds(86400), T0, T0.plusSeconds(3)).orElseThrow());
        // claimed warm worker (pod older than the session): from the session's creation
        assertEquals(
                new StartLatency.Measured(true, Duration.ofMillis(400)),
                StartLatency.of(T0, T0.minusSeconds(600), T0.plusMillis(400)).orElseThrow());
        assertTrue(StartLatency.of(T0, null, T0).isEmpty(), "no pod: nothing to measure");
        assertEquals(
                Duration.ZERO,
                StartLatency.of(null, T0, T0.minusSeconds(1)).orElseThrow().latency());
    }

    @Test
    void sessionsAreCountedByOwnerAndByNotReadyReasonNeverByName() {
        List<CollabSession> sessions = List.of(
                session("collab", "a1", "alice", SessionPhase.Running, "True", "PodReady", false),
                session("collab", "a2", "alice", SessionPhase.Running, "True", "PodReady", true),
                session("collab", "b1", "bob", SessionPhase.Starting, "False", "StartTimeout", false),
                session("collab", "b2", "bob", SessionPhase.Failed, "False", "CrashLoopBackOff", false),
                session("collab", "b3", "bob", SessionPhase.Stopped, "False", "IdleTimeout", false),
                session("other", "c1", "alice", SessionPhase.Starting, "False", "PodStarting", false));
        Map<SessionGauges.Series, Long> counts = SessionGauges.count(sessions.stream());
        assertEquals(2L, counts.get(byOwner("collab", "alice", "Running")));
        assertEquals(1L, counts.get(byOwner("collab", "bob", "Starting")));
        assertEquals(1L, counts.get(byOwner("other", "alice", "Starting")));
        assertEquals(1L, counts.get(notReady("collab", "StartTimeout")));
        assertEquals(1L, counts.get(notReady("collab", "CrashLoopBackOff")));
        assertFalse(counts.containsKey(notReady("collab", "IdleTimeout")), "a Stopped session is not 'not ready'");
        assertEquals(
                1L,
                counts.get(new SessionGauges.Series(
                        "collab_sessions_relogin_required",
                        Tags.of("namespace", "collab", "owner", CollabLabels.ownerLabelValue("alice")))));
        counts.keySet()
                .forEach(s -> s.tags()
                        .forEach(t -> assertFalse(
                                t.getValue().matches("a1|a2|b1|b2|b3|c1"), "a label names a session: " + s)));
    }

    @Test
    void latenciesAreRealPrometheusHistogramsWithBoundedBuckets() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        List<CollabSession> sessions = new ArrayList<>(
                List.of(session("collab", "a1", "alice", SessionPhase.Starting, "False", "PodStarting", false)));
        OperatorMetrics metrics = new OperatorMetrics(registry, sessions::stream);
        metrics.started(new StartLatency.Measured(false, Duration.ofMillis(2500)));
        metrics.claimed(Duration.ofMillis(300));
        registry.scrape(); // registers the per-owner series seen
        String text = registry.scrape().replace(",}", "}"); // simpleclient's trailing comma, as Quarkus omits it
        assertTrue(text.contains("collab_session_start_seconds_bucket{start=\"cold\",le=\"3.0\"} 1.0"), text);
        assertTrue(text.contains("collab_session_start_seconds_bucket{start=\"cold\",le=\"2.0\"} 0.0"), text);
        assertTrue(text.contains("collab_pool_claim_seconds_bucket{le=\"0.5\"} 1.0"), text);
        long buckets = text.lines()
                .filter(l -> l.startsWith("collab_session_start_seconds_bucket{start=\"cold\""))
                .count();
        assertEquals(OperatorMetrics.START_BUCKETS.length + 1, buckets, "the listed buckets and +Inf only");
        assertTrue(
                text.contains("collab_sessions_by_owner{namespace=\"collab\",owner=\""
                        + CollabLabels.ownerLabelValue("alice") + "\",phase=\"Starting\"} 1.0"),
                text);
        assertTrue(text.contains("collab_sessions_not_ready{namespace=\"collab\",reason=\"StartTimeout\"} 0.0"), text);
        assertTrue(text.contains("collab_sessions{phase=\"Starting\"} 1.0"), text);
    }

    private static SessionGauges.Series byOwner(String ns, String owner, String phase) {
        return new SessionGauges.Series(
                "collab_sessions_by_owner",
                Tags.of("namespace", ns, "owner", CollabLabels.ownerLabelValue(owner), "phase", phase));
    }

    private static SessionGauges.Series notReady(String ns, String reason) {
        return new SessionGauges.Series("collab_sessions_not_ready", Tags.of("namespace", ns, "reason", reason));
    }

    private static CollabSession session(
            String ns, String name, String owner, SessionPhase phase, String ready, String reason, boolean relogin) {
        CollabSession cs = new CollabSession(ns, name, new CollabSessionSpec(owner, name + "-credentials"));
        CollabSessionStatus st = new CollabSessionStatus();
        st.setPhase(phase);
        List<Condition> conditions = new ArrayList<>();
        conditions.add(new ConditionBuilder()
                .withType(ConditionTypes.READY)
                .withStatus(ready)
                .withReason(reason)
                .build());
        if (relogin) {
            conditions.add(new ConditionBuilder()
                    .withType(ConditionTypes.RELOGIN_REQUIRED)
                    .withStatus("True")
                    .withReason("RefreshTokenRefused")
                    .build());
        }
        st.setConditions(conditions);
        cs.setStatus(st);
        return cs;
    }
}
