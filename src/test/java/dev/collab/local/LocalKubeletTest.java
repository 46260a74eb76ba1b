package dev.collab.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.collab.api.CollabLabels;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local node against the embedded API, with a worker pod shaped like the operator's (init container seeding
 * HOME from the mounted Secret, opencode container with a readiness probe) and a fake opencode (a node script)
 * standing in for the real one. No operator runs here: the test creates the pods it needs.
 */
class LocalKubeletTest {
    private static final Duration DEADLINE = Duration.ofSeconds(60);
    /** Uses only $HOME and $COLLAB_CREDENTIALS_DIR, like the operator's seed-home script. */
    private static final String SEED = "set -eu; mkdir -p \"$HOME/workspace\" \"$HOME/.local/share/opencode\"; "
            + "cp \"$COLLAB_CREDENTIALS_DIR/auth.json\" \"$HOME/.local/share/opencode/auth.json\"; echo seeded";

    @TempDir
    Path dataDir;

    @TempDir
    Path bin;

    private EmbeddedApi api;
    private KubernetesClient client;
    private LocalKubelet kubelet;

    @BeforeEach
    void start() throws IOException {
        dev.collab.testing.Tiers.assumeAvailable(
                BrowserTool.onPath("node"), "node is not installed: the fake opencode is a node script");
        Path script = bin.resolve("fake-opencode.js");
        try (InputStream in = getClass().getResourceAsStream("fake-opencode.js")) {
            Files.copy(in, script);
        }
        Path opencode = bin.resolve("opencode");
        Files.writeString(opencode, "#!/bin/sh\nexec node " + script + " \"$@\"\n");
        Files.setPosixFilePermissions(opencode, PosixFilePermissions.fromString("rwx------"));
        api = EmbeddedApi.start(dataDir, "default", 0);
        client = api.newClient();
        LocalNodeSettings settings = LocalNodeSettings.of(dataDir, opencode.toString(), "default")
                .withBackoff(Duration.ofMillis(100), Duration.ofMillis(400), Duration.ofMillis(200));
        kubelet = new LocalKubelet(client, settings);
        kubelet.start();
    }

    @AfterEach
    void stop() {
        if (kubelet != null) {
            kubelet.close();
        }
        if (client != null) {
            client.close();
        }
        if (api != null) {
            api.close();
        }
    }

    @Test
    void runsAWorkerPodLikeAKubelet() throws Exception {
        secrets("alice");
        client.pods().resource(workerPod("alice", false)).create();

        Pod ready = await("alice Ready", () -> readyPod("alice"));
        assertEquals("Running", ready.getStatus().getPhase());
        assertEquals("127.0.0.1", ready.getStatus().getPodIP());
        String port = ready.getMetadata().getAnnotations().get(CollabLabels.ENDPOINT_PORT);
        assertNotNull(port, "the node publishes the local port for the operator");
        ContainerStatus init = ready.getStatus().getInitContainerStatuses().get(0);
        assertEquals(0, init.getState().getTerminated().getExitCode());
        ContainerStatus main = ready.getStatus().getContainerStatuses().get(0);
        assertEquals(0, main.getRestartCount());
        assertTrue(main.getContainerID().startsWith("local://"));

        JsonNode answer = get(Integer.parseInt(port));
        Path home = dataDir.resolve("sessions/alice/home");
        assertEquals(home.toString(), answer.get("home").asText(), "HOME is the session folder standing for the PVC");
        assertEquals(home.resolve("workspace").toString(), answer.get("cwd").asText());
        assertEquals("pw-alice", answer.get("password").asText(), "secretKeyRef resolved from the access Secret");
        assertEquals(
                List.of("serve", "--hostname", "127.0.0.1", "--port", port),
                Serialization.jsonMapper().convertValue(answer.get("args"), List.class));
        assertTrue(
                answer.get("tmpdir")
                        .asText()
                        .startsWith(dataDir.resolve("sessions/alice/pods").toString()),
                "/tmp is a per-pod folder");
        assertEquals(0, answer.get("inherited").size(), "no XDG_* of the node leaks into a worker");
        assertEquals(
                "{\"anthropic\":{\"type\":\"api\",\"key\":\"sk-alice\"}}",
                Files.readString(home.resolve(".local/share/opencode/auth.json")),
                "the init container seeded HOME");
        try (var listing = Files.list(dataDir.resolve("sessions/alice/secrets/credentials"))) {
            assertEquals(
                    List.of("auth.json"),
                    listing.map(p -> p.getFileName().toString()).toList(),
                    "only the items the pod lists are materialised");
        }
        String log = Files.readString(dataDir.resolve("sessions/alice/opencode.log"));
        assertTrue(log.contains("seeded") && log.contains("fake opencode listening"), log);
        assertFalse(log.contains("pw-alice"), "the node never writes env values to the log");

        long pid = Long.parseLong(main.getContainerID().substring("local://".length()));
        client.pods().withName("alice").delete();
        await(
                "worker process gone",
                () -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) ? null : true);
        await(
                "credential files removed with the pod",
                () -> Files.exists(dataDir.resolve("sessions/alice/secrets/credentials")) ? null : true);
        await(
                "pid file removed",
                () -> Files.exists(dataDir.resolve("sessions/alice/" + LocalNodeSettings.PID_FILE)) ? null : true);
        assertTrue(Files.isRegularFile(home.resolve(".local/share/opencode/auth.json")), "HOME (the PVC) stays");
    }

    @Test
    void reportsCrashLoopBackOffAndCountsRestarts() throws Exception {
        secrets("bob");
        client.pods().resource(workerPod("bob", true)).create();
        Pod crashing = await("bob in CrashLoopBackOff after 2 restarts", () -> {
            Pod p = client.pods().withName("bob").get();
            if (p == null
                    || p.getStatus() == null
                    || p.getStatus().getContainerStatuses() == null
                    || p.getStatus().getContainerStatuses().isEmpty()) {
                return null;
            }
            ContainerStatus s = p.getStatus().getContainerStatuses().get(0);
            boolean backoff = s.getState().getWaiting() != null
                    && "CrashLoopBackOff".equals(s.getState().getWaiting().getReason());
            return backoff && s.getRestartCount() >= 2 ? p : null;
        });
        ContainerStatus s = crashing.getStatus().getContainerStatuses().get(0);
        assertEquals(3, s.getLastState().getTerminated().getExitCode());
        assertFalse(crashing.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus())));
        assertEquals(
                1,
                crashing.getStatus().getConditions().stream()
                        .filter(c -> "Ready".equals(c.getType()))
                        .count(),
                "the status is replaced, never appended to");
    }

    @Test
    void replacedPodStartsAfterThePreviousProcessStopped() throws Exception {
        secrets("carol");
        client.pods().resource(workerPod("carol", false)).create();
        Pod first = await("carol Ready", () -> readyPod("carol"));
        long firstPid = pid(first);
        client.pods().withName("carol").delete();
        client.pods().resource(workerPod("carol", false)).create();
        Pod second = await("new carol Ready", () -> {
            Pod p = readyPod("carol");
            return p != null
                            && !p.getMetadata()
                                    .getUid()
                                    .equals(first.getMetadata().getUid())
                    ? p
                    : null;
        });
        assertFalse(ProcessHandle.of(firstPid).map(ProcessHandle::isAlive).orElse(false));
        assertTrue(ProcessHandle.of(pid(second)).map(ProcessHandle::isAlive).orElse(false));
    }

    private static long pid(Pod pod) {
        return Long.parseLong(
                pod.getStatus().getContainerStatuses().get(0).getContainerID().substring("local://".length()));
    }

    private Pod readyPod(String name) {
        Pod p = client.pods().withName(name).get();
        boolean ready = p != null
                && p.getStatus() != null
                && p.getStatus().getConditions() != null
                && p.getStatus().getConditions().stream()
                        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
        return ready ? p : null;
    }

    private void secrets(String name) {
        client.secrets()
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName(name + "-claude")
                        .endMetadata()
                        .addToData("auth.json", b64("{\"anthropic\":{\"type\":\"api\",\"key\":\"sk-" + name + "\"}}"))
                        .addToData("not-listed", b64("must not be materialised"))
                        .build())
                .create();
        client.secrets()
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName(CollabLabels.accessSecretName(name))
                        .endMetadata()
                        .addToData(CollabLabels.ACCESS_SERVER_PASSWORD_KEY, b64("pw-" + name))
                        .build())
                .create();
    }

    /**
     * The request-handler gap of opencode (fake: handler attached 3 s after listen): with the worker's httpGet probe
     * a request sent the moment the pod is Ready is answered; with a tcpSocket probe it is not (the control that
     * shows this test can fail).
     */
    @Test
    void anHttpProbeMakesThePodReadyOnlyOnceRequestsAreAnswered() throws Exception {
        secrets("dora");
        client.pods()
                .resource(withHandlerDelay(workerPod(
                        "dora",
                        false,
                        new ProbeBuilder()
                                .withNewHttpGet()
                                .withPath("/site.webmanifest")
                                .withPort(new IntOrString("http"))
                                .endHttpGet()
                                .withPeriodSeconds(1)
                                .withTimeoutSeconds(2)
                                .withFailureThreshold(3)
                                .build())))
                .create();
        int port = Integer.parseInt(await("dora Ready", () -> readyPod("dora"))
                .getMetadata()
                .getAnnotations()
                .get(CollabLabels.ENDPOINT_PORT));
        assertEquals(200, quickGet(port), "the first request after Ready is answered");

        secrets("erin");
        client.pods().resource(withHandlerDelay(workerPod("erin", false))).create(); // tcpSocket probe
        int tcpPort = Integer.parseInt(await("erin Ready", () -> readyPod("erin"))
                .getMetadata()
                .getAnnotations()
                .get(CollabLabels.ENDPOINT_PORT));
        assertEquals(-1, quickGet(tcpPort), "a tcpSocket probe passes before the handler is attached");
    }

    private static Pod withHandlerDelay(Pod pod) {
        pod.getSpec()
                .getContainers()
                .get(0)
                .getEnv()
                .add(new EnvVarBuilder()
                        .withName("FAKE_HANDLER_DELAY_MS")
                        .withValue("3000")
                        .build());
        return pod;
    }

    /** The status of GET / with a 1 s timeout, -1 when nothing answered. */
    private static int quickGet(int port) throws Exception {
        try {
            return HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                                    .timeout(Duration.ofSeconds(1))
                                    .build(),
                            HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        } catch (java.net.http.HttpTimeoutException e) {
            return -1;
        }
    }

    private static Pod workerPod(String name, boolean crash) {
        return workerPod(
                name,
                crash,
                new ProbeBuilder()
                        .withNewTcpSocket()
                        .withPort(new IntOrString(4096))
                        .endTcpSocket()
                        .withPeriodSeconds(2)
                        .withFailureThreshold(3)
                        .build());
    }

    /** The shape of the operator's worker pod (brief: "The pod the operator creates"). */
    private static Pod workerPod(String name, boolean crash, Probe readiness) {
        var mounts = List.of(
                new io.fabric8.kubernetes.api.model.VolumeMountBuilder()
                        .withName("home")
                        .withMountPath("/home/collab")
                        .build(),
                new io.fabric8.kubernetes.api.model.VolumeMountBuilder()
                        .withName("tmp")
                        .withMountPath("/tmp")
                        .build());
        var credentialsMount = new io.fabric8.kubernetes.api.model.VolumeMountBuilder()
                .withName("credentials")
                .withMountPath("/var/run/collab/credentials")
                .withReadOnly(true)
                .build();
        return new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .withLabels(Map.of(CollabLabels.ROLE, CollabLabels.ROLE_WORKER, CollabLabels.SESSION, name))
                .withAnnotations(Map.of(CollabLabels.CREDENTIALS_HASH, "x"))
                .endMetadata()
                .withNewSpec()
                .withTerminationGracePeriodSeconds(15L)
                .addNewInitContainer()
                .withName("seed-home")
                .withImage("ghcr.io/anomalyco/opencode:1.18.33")
                .withCommand("sh", "-c", SEED)
                .withEnv(
                        new EnvVarBuilder()
                                .withName("HOME")
                                .withValue("/home/collab")
                                .build(),
                        new EnvVarBuilder()
                                .withName("COLLAB_CREDENTIALS_DIR")
                                .withValue("/var/run/collab/credentials")
                                .build())
                .withVolumeMounts(mounts.get(0), mounts.get(1), credentialsMount)
                .endInitContainer()
                .addNewContainer()
                .withName("opencode")
                .withImage("ghcr.io/anomalyco/opencode:1.18.33")
                .withCommand("opencode", "serve", "--hostname", "0.0.0.0", "--port", "4096")
                .withWorkingDir("/home/collab/workspace")
                .withEnv(
                        new EnvVarBuilder()
                                .withName("HOME")
                                .withValue("/home/collab")
                                .build(),
                        new EnvVarBuilder()
                                .withName("OPENCODE_SERVER_PASSWORD")
                                .withNewValueFrom()
                                .withNewSecretKeyRef(
                                        CollabLabels.ACCESS_SERVER_PASSWORD_KEY,
                                        CollabLabels.accessSecretName(name),
                                        false)
                                .endValueFrom()
                                .build(),
                        new EnvVarBuilder()
                                .withName("FAKE_CRASH")
                                .withValue(crash ? "1" : "0")
                                .build())
                .addNewPort()
                .withName("http")
                .withContainerPort(4096)
                .endPort()
                .withReadinessProbe(readiness)
                .withVolumeMounts(mounts)
                .endContainer()
                .addNewVolume()
                .withName("home")
                .withNewPersistentVolumeClaim()
                .withClaimName(name + "-home")
                .endPersistentVolumeClaim()
                .endVolume()
                .addNewVolume()
                .withName("credentials")
                .withNewSecret()
                .withSecretName(name + "-claude")
                .withItems(new KeyToPath("auth.json", null, "auth.json"))
                .withDefaultMode(0440)
                .endSecret()
                .endVolume()
                .addNewVolume()
                .withName("tmp")
                .withNewEmptyDir()
                .endEmptyDir()
                .endVolume()
                .endSpec()
                .build();
    }

    private static JsonNode get(int port) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/global/health"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        return Serialization.jsonMapper().readTree(r.body());
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    static <T> T await(String what, Supplier<T> probe) throws InterruptedException {
        Instant end = Instant.now().plus(DEADLINE);
        while (Instant.now().isBefore(end)) {
            T value = probe.get();
            if (value != null) {
                return value;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("timed out waiting for " + what);
    }
}
