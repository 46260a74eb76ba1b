package dev.collab.local;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.testing.Tiers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The TypeScript client (clients/typescript) against a real router: local mode with the real opencode (LocalModeRun),
 * a Gateway-mode session created through the Kubernetes API without credentials, then {@code npm ci} and
 * {@code npm test} (generated types equal a fresh generation from docs/openapi.yaml, tsc, {@code node --test}) with the
 * router's URL, the admin token, the session and its token in the environment. Nothing is faked; the provider is never
 * called (no prompt). Needs node and npm (Node 20+) and the npm registry or its cache: a failure in CI, a skip with the
 * reason elsewhere (Tiers).
 */
@RealLocalMode
class TypeScriptClientIT {
    private static final Path CLIENT = Path.of("clients/typescript");
    private static final String SESSION = "ts-client";
    private static final Path WORK = Path.of("target/ts-client");

    private static LocalModeRun app;

    @BeforeAll
    static void startLocalMode() throws Exception {
        Tiers.assumeAvailable(
                BrowserTool.onPath("node") && BrowserTool.onPath("npm"),
                "node and npm (Node.js 20+) are needed for the TypeScript client's tests (clients/typescript)");
        app = LocalModeRun.start(WORK, Map.of());
    }

    @AfterAll
    static void stopLocalMode() throws Exception {
        if (app != null) {
            app.stop(List.of(SESSION));
        }
    }

    @Test
    void theClientsTestsPassAgainstTheRunningRouter() throws Exception {
        CollabSessionSpec spec = dev.collab.testing.Specs.offlineGateway("ts@example.com", SESSION + "-credentials");
        app.client()
                .resources(CollabSession.class)
                .inNamespace(LocalModeRun.NS)
                .resource(new CollabSession(LocalModeRun.NS, SESSION, spec))
                .create();
        String token = LocalModeRun.await("the session's access token", () -> app.accessToken(SESSION));

        run(List.of("npm", "ci", "--no-fund", "--no-audit", "--loglevel=error"), Map.of(), "npm-ci.log");
        run(
                List.of("npm", "test"),
                Map.of(
                        "COLLAB_ROUTER_URL",
                        app.routerUrl(),
                        "COLLAB_ADMIN_TOKEN",
                        app.adminToken(),
                        "COLLAB_SESSION",
                        SESSION,
                        "COLLAB_SESSION_TOKEN",
                        token,
                        "COLLAB_OWNER",
                        "ts@example.com"),
                "npm-test.log");
    }

    /** Runs {@code command} in clients/typescript; fails with its output (kept in target/ts-client) unless it exits 0. */
    private static void run(List<String> command, Map<String, String> env, String logName) throws Exception {
        Path log = WORK.resolve(logName).toAbsolutePath();
        ProcessBuilder pb = new ProcessBuilder(command)
                .directory(CLIENT.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        try {
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                throw new AssertionError(String.join(" ", command) + " did not finish within 10 minutes; see " + log);
            }
            assertEquals(
                    0, p.exitValue(), () -> String.join(" ", command) + " failed in " + CLIENT + ":\n" + tail(log));
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 80), lines.size()));
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }
}
