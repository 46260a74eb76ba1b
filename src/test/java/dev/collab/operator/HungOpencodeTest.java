package dev.collab.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.collab.api.CollabSessionSpec;
import dev.collab.api.SessionPhase;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 30, item 12: a hung opencode must not stall the operator. Sixteen sessions whose pods are FAKE hung opencodes
 * (one loopback server that accepts connections and never answers), probed by the real {@link OpencodeBusyProbe} with a
 * 60 s timeout; the operator has 4 reconcile threads (mock API server, FAKE kubelet). Another session must still start
 * and be reported Running while those probes hang.
 */
class HungOpencodeTest {
    private OperatorHarness h;
    private final List<Socket> held = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() throws IOException {
        if (h != null) {
            h.close();
        }
        for (Socket s : held) {
            s.close();
        }
    }

    @Test
    void sixteenHungPodsDoNotStallOtherSessions() throws Exception {
        try (ServerSocket hung = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
                FakeOpencodeStatus healthy = new FakeOpencodeStatus()) {
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        held.add(hung.accept()); // read nothing, answer nothing
                    }
                } catch (IOException closed) {
                    // test over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            h = new OperatorHarness(OperatorSettings.defaults(), new OpencodeBusyProbe(Duration.ofSeconds(60)));
            for (int i = 0; i < 16; i++) {
                h.kubelet.serveOnLoopback("hung-" + i, hung.getLocalPort());
                start("hung-" + i);
            }
            await().atMost(OperatorHarness.WAIT)
                    .until(() -> held.size() >= 4); // at least as many hung requests as reconcile threads

            h.kubelet.serveOnLoopback("fine", healthy.port());
            start("fine");

            h.awaitSession("fine", cs -> cs.getStatus().getPhase() == SessionPhase.Running);
            for (int i = 0; i < 16; i++) {
                h.awaitSession("hung-" + i, cs -> cs.getStatus().getPhase() == SessionPhase.Running);
            }
            assertThat(held.size())
                    .as("the hung pods are asked, a bounded number at a time")
                    .isBetween(4, BackgroundCalls.THREADS);
        }
    }

    /**
     * A FAKE opencode that sends its response headers and then never the promised body: the JDK client's request
     * timeout ends with the headers, so without a bound of its own the probe (and its thread) would wait forever.
     */
    @Test
    void aBodyThatNeverEndsStillEndsTheProbe() throws Exception {
        try (ServerSocket stalls = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> {
                try {
                    while (true) {
                        Socket s = stalls.accept();
                        held.add(s);
                        s.getOutputStream()
                                .write(
                                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
                                                .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                        s.getOutputStream().flush();
                    }
                } catch (IOException closed) {
                    // test over
                }
            });
            server.setDaemon(true);
            server.start();
            OpencodeBusyProbe probe = new OpencodeBusyProbe(Duration.ofMillis(500));
            String endpoint = "http://127.0.0.1:" + stalls.getLocalPort();
            BusyProbe.Answer answer = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
                    Duration.ofSeconds(20), () -> probe.check(endpoint, "pw"), "the busy check never returned");
            assertThat(answer).isEqualTo(BusyProbe.Answer.UNREACHABLE);
            assertThat(org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
                            Duration.ofSeconds(20),
                            () -> new OpencodeCredentialDelivery(Duration.ofMillis(500))
                                    .deliver(endpoint, "pw", Map.of("anthropic", "{}")),
                            "the delivery never returned"))
                    .isFalse();
        }
    }

    private void start(String name) {
        h.credentials(
                name + "-creds", "alice", Map.of("auth.json", "{\"anthropic\":{\"type\":\"api\",\"key\":\"k\"}}"));
        CollabSessionSpec spec = new CollabSessionSpec("alice", name + "-creds");
        spec.setIdleTimeout("0");
        h.create(name, spec);
    }
}
