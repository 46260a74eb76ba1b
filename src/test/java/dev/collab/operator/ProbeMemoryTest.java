package dev.collab.operator;

import static dev.collab.operator.OperatorHarness.NS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.SessionPhase;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 30, item 11: what the operator remembers between reconciles about a session's opencode (busy checks that
 * found it unreachable, whether its pod has answered) goes when the pod goes, so sessions created and deleted by the
 * thousand leave nothing in memory.
 */
class ProbeMemoryTest {
    private OperatorHarness h;

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    /** FAKE opencode: unreachable to the busy check, never answers the first-answer check (both remembered). */
    private static final BusyProbe SILENT = new BusyProbe() {
        @Override
        public Answer check(String endpoint, String serverPassword) {
            return Answer.UNREACHABLE;
        }

        @Override
        public boolean answers(String endpoint, String serverPassword) {
            return false;
        }
    };

    @Test
    void tenThousandSessionsWhosePodsWereDeletedLeaveNoProbeMemory() {
        SessionProbes probes = new SessionProbes(SILENT);
        Instant now = Instant.parse("2026-12-01T10:00:00Z");
        for (int i = 0; i < 10_000; i++) {
            ResourceID session = new ResourceID("s" + i, NS);
            probes.run(
                    new ProbeFindings.Request(ProbeFindings.Request.Kind.BUSY, "http://10.0.0.1:4096", "pw", null),
                    session,
                    now,
                    ProbeFindings.NONE);
            probes.run(
                    new ProbeFindings.Request(
                            ProbeFindings.Request.Kind.ANSWER, "http://10.0.0.1:4096", "pw", "uid-" + i),
                    session,
                    now,
                    ProbeFindings.NONE);
        }
        assertThat(probes.remembered())
                .as("each session remembered while its pod runs")
                .isEqualTo(10_000);

        for (int i = 0; i < 10_000; i++) {
            probes.podGone(new ResourceID("s" + i, NS));
        }

        assertThat(probes.remembered()).isZero();
    }

    /**
     * Through the operator (mock API server, FAKE kubelet, FAKE silent opencode): sessions run, their never-answering
     * pods are remembered, the sessions are deleted and the FAKE garbage collector (the mock server has none) deletes
     * their pods; the operator then holds no memory of any of them.
     */
    @Test
    void deletedSessionsLeaveNoProbeMemoryInTheOperator() {
        h = new OperatorHarness(OperatorSettings.defaults(), SILENT);
        int sessions = 20;
        for (int i = 0; i < sessions; i++) {
            String name = "gone-" + i;
            h.credentials(
                    name + "-creds", "alice", Map.of("auth.json", "{\"anthropic\":{\"type\":\"api\",\"key\":\"k\"}}"));
            CollabSessionSpec spec = new CollabSessionSpec("alice", name + "-creds");
            spec.setIdleTimeout("0");
            h.create(name, spec);
        }
        for (int i = 0; i < sessions; i++) {
            h.awaitSession("gone-" + i, cs -> cs.getStatus().getPhase() == SessionPhase.Running);
        }
        await().atMost(OperatorHarness.WAIT).until(() -> h.reconciler.probeMemory() == sessions);

        for (int i = 0; i < sessions; i++) {
            CollabSession s = h.session("gone-" + i);
            h.client.resource(s).delete();
            h.collectGarbage(s.getMetadata().getUid());
        }

        await().atMost(OperatorHarness.WAIT).until(() -> h.reconciler.probeMemory() == 0);
    }
}
