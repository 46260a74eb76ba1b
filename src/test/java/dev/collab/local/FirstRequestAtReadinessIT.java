package dev.collab.local;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.collab.api.CollabLabels;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * opencode 1.18.33 accepts TCP before it attaches its request handler and never answers a request that arrives in
 * that gap. With the worker's readiness probe ({@code httpGet /site.webmanifest}, as the operator's pod builder sets
 * it), a request sent the moment the local node reports the pod Ready is answered: 20 starts in a row of the real
 * opencode (fresh HOME first, then the same HOME again, as after a credential change). Nothing is faked here but
 * the API server (the embedded one) and the pod, which is built by hand in the shape of the operator's.
 */
class FirstRequestAtReadinessIT {
    private static final int TRIES = 20;
    private static final String NAME = "race";
    private static final String PASSWORD = "pw-first-request";
    /** Much longer than any answer (tens of ms); a request lost in the gap is never answered at all. */
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(30);

    /** HTTP/1.1 like the router's client: opencode never answers an instance-loading request that asks for h2c. */
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private Path dataDir;
    private EmbeddedApi api;
    private KubernetesClient client;
    private LocalKubelet kubelet;

    @AfterEach
    void stop() throws Exception {
        if (kubelet != null) {
            kubelet.close();
        }
        if (client != null) {
            client.close();
        }
        if (api != null) {
            api.close();
        }
        if (dataDir != null) {
            PodFiles.deleteTree(dataDir);
        }
    }

    @Test
    void aRequestSentTheMomentThePodIsReadyIsAnswered() throws Exception {
        Optional<String> opencode = RealOpencode.find();
        dev.collab.testing.Tiers.assumeAvailable(
                opencode.isPresent(),
                "needs the real opencode (.ci/install-opencode.sh, the PATH or -Dcollab.it.opencode)");
        // outside the repository: a workspace inside a git work tree would make it opencode's project
        dataDir = Files.createTempDirectory("collab-first-request");
        api = EmbeddedApi.start(dataDir, "default", 0);
        client = api.newClient();
        kubelet = new LocalKubelet(client, LocalNodeSettings.of(dataDir, opencode.get(), "default"));
        kubelet.start();

        List<Long> answerMillis = new ArrayList<>();
        for (int attempt = 1; attempt <= TRIES; attempt++) {
            CompletableFuture<Pod> ready = new CompletableFuture<>();
            try (Watch watch = client.pods().withName(NAME).watch(new Watcher<>() {
                @Override
                public void eventReceived(Action action, Pod pod) {
                    if (isReady(pod)) {
                        ready.complete(pod);
                    }
                }

                @Override
                public void onClose(WatcherException cause) {
                    ready.completeExceptionally(cause);
                }
            })) {
                client.pods().resource(workerPod()).create();
                Pod pod = ready.get(3, TimeUnit.MINUTES);
                int port = Integer.parseInt(pod.getMetadata().getAnnotations().get(CollabLabels.ENDPOINT_PORT));
                long start = System.nanoTime();
                int first = firstRequest(port);
                if (first != 200) {
                    int next = firstRequest(port);
                    keepLogs();
                    assertEquals(
                            200,
                            first,
                            "start " + attempt + ": the request sent at readiness was not answered within "
                                    + ANSWER_TIMEOUT.toSeconds() + " s; the next request got " + next
                                    + " (worker logs in target/first-request)");
                }
                answerMillis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            }
            client.pods().withName(NAME).delete(); // the next pod of this name starts once this process is gone
        }
        System.out.println("FIRST REQUEST AT READINESS: " + TRIES + " of " + TRIES
                + " answered; ms from Ready to answer: " + answerMillis);
    }

    /** The worker's output and opencode's own logs (no credentials here), for a failed run. */
    private void keepLogs() throws Exception {
        Path out = Path.of("target/first-request");
        Files.createDirectories(out);
        Path session = dataDir.resolve("sessions").resolve(NAME);
        Files.copy(session.resolve("opencode.log"), out.resolve("opencode.log"), StandardCopyOption.REPLACE_EXISTING);
        Path internal = session.resolve("home/.local/share/opencode/log");
        if (Files.isDirectory(internal)) {
            try (var logs = Files.list(internal)) {
                for (Path l : logs.toList()) {
                    Files.copy(l, out.resolve("internal-" + l.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    /** {@code GET /session} with the server password, like the first thing a client asks; -1 when never answered. */
    private int firstRequest(int port) throws Exception {
        String basic = Base64.getEncoder().encodeToString(("opencode:" + PASSWORD).getBytes(StandardCharsets.UTF_8));
        try {
            return http.send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/session"))
                                    .timeout(ANSWER_TIMEOUT)
                                    .header("Authorization", "Basic " + basic)
                                    .build(),
                            HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        } catch (HttpTimeoutException e) {
            return -1;
        }
    }

    private static boolean isReady(Pod p) {
        return p.getStatus() != null
                && p.getStatus().getConditions() != null
                && p.getStatus().getConditions().stream()
                        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    /** The operator's worker container and readiness probe (WorkerPodBuilder), without the seed-home init container. */
    private static Pod workerPod() {
        return new PodBuilder()
                .withNewMetadata()
                .withName(NAME)
                .withLabels(Map.of(CollabLabels.ROLE, CollabLabels.ROLE_WORKER, CollabLabels.SESSION, NAME))
                .endMetadata()
                .withNewSpec()
                .withTerminationGracePeriodSeconds(15L)
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
                                .withValue(PASSWORD)
                                .build(),
                        new EnvVarBuilder()
                                .withName("OPENCODE_DISABLE_MODELS_FETCH")
                                .withValue("true")
                                .build(),
                        new EnvVarBuilder()
                                .withName("OPENCODE_DISABLE_AUTOUPDATE")
                                .withValue("true")
                                .build())
                .addNewPort()
                .withName("http")
                .withContainerPort(4096)
                .endPort()
                .withNewReadinessProbe()
                .withNewHttpGet()
                .withPath("/site.webmanifest")
                .withPort(new IntOrString("http"))
                .endHttpGet()
                .withPeriodSeconds(1)
                .withTimeoutSeconds(2)
                .withFailureThreshold(3)
                .endReadinessProbe()
                .addNewVolumeMount()
                .withName("home")
                .withMountPath("/home/collab")
                .endVolumeMount()
                .endContainer()
                .addNewVolume()
                .withName("home")
                .withNewPersistentVolumeClaim()
                .withClaimName(NAME + "-home")
                .endPersistentVolumeClaim()
                .endVolume()
                .endSpec()
                .build();
    }
}
