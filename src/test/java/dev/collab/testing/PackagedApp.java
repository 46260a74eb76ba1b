package dev.collab.testing;

import dev.collab.local.controlplane.ManagedProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The packaged application ({@code target/quarkus-app}, built by the package phase before failsafe runs) in its
 * own JVM against the test control plane, with the identity of a ServiceAccount token (from TokenRequest) and the
 * API server's CA, as in a pod. Properties are passed as {@code -D} flags; the log is kept under {@code target/}.
 */
public final class PackagedApp implements AutoCloseable {
    static final Path APP = Path.of("target/quarkus-app/quarkus-run.jar");
    private final ManagedProcess process;
    private final int httpPort;

    private PackagedApp(ManagedProcess process, int httpPort) {
        this.process = process;
        this.httpPort = httpPort;
    }

    /** True when the package phase has produced the application. */
    public static boolean built() {
        return Files.isRegularFile(APP);
    }

    /**
     * Starts the app as {@code name} (also its HOSTNAME, the leader-election identity) with the given token and
     * properties (e.g. collab.role, collab.namespaces), and waits until /q/health/ready answers 200.
     */
    public static PackagedApp start(
            ControlPlane plane, String name, String token, String namespace, Map<String, String> properties) {
        int port = freePort();
        Path logDir = Path.of("target/control-plane-it");
        try {
            Files.createDirectories(logDir);
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-XX:TieredStopAtLevel=1",
                    "-XX:+UseSerialGC",
                    "-Xmx384m",
                    "-Dquarkus.kubernetes-client.api-server-url=" + plane.url(),
                    "-Dquarkus.kubernetes-client.ca-cert-file=" + plane.caCert(),
                    "-Dquarkus.kubernetes-client.token=" + token,
                    "-Dquarkus.kubernetes-client.namespace=" + namespace,
                    "-Dquarkus.http.host=127.0.0.1",
                    "-Dquarkus.http.port=" + port));
            properties.forEach((k, v) -> command.add("-D" + k + "=" + v));
            command.addAll(List.of("-jar", APP.toString()));
            ManagedProcess process =
                    ManagedProcess.start(name, logDir, command, Map.of("HOSTNAME", name, "KUBECONFIG", "/dev/null"));
            PackagedApp app = new PackagedApp(process, port);
            app.awaitReady();
            return app;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void awaitReady() {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(120));
        while (Instant.now().isBefore(deadline)) {
            if (!process.alive()) {
                throw new IllegalStateException("app exited\n" + process.tail(40));
            }
            try {
                if (get("/q/health/ready").statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            sleep();
        }
        close();
        throw new IllegalStateException("app not ready in 120 s\n" + process.tail(40));
    }

    public HttpResponse<String> get(String path) throws IOException {
        try {
            return HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create(baseUrl() + path))
                                    .timeout(Duration.ofSeconds(10))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + httpPort;
    }

    /** The whole log so far (to look for 403s, or for failure messages). */
    public String log() {
        try {
            return Files.readString(process.log());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public long pid() {
        return process.pid();
    }

    /** SIGKILL: no shutdown hook runs, the Lease is not released. */
    public void kill() {
        process.kill();
    }

    @Override
    public void close() {
        process.close();
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(250);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
