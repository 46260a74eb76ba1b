package dev.collab.local;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The local node's small rules: backoff, command rewriting, $(VAR) expansion, session folders. */
class LocalNodeRulesTest {
    private final LocalNodeSettings settings = LocalNodeSettings.of(Path.of("/data"), "/opt/opencode", "default");

    @Test
    void crashLoopBackoffDoublesFromTenSecondsToFiveMinutes() {
        List<Long> seconds = List.of(1, 2, 3, 4, 5, 6, 7, 8).stream().map(n -> settings.backoff(n).toSeconds()).toList();
        assertEquals(List.of(10L, 20L, 40L, 80L, 160L, 300L, 300L, 300L), seconds);
        assertEquals(Duration.ofMinutes(5), settings.backoff(1000));
    }

    @Test
    void opencodeRunsTheConfiguredBinaryOnLoopbackAndItsOwnPort() {
        assertEquals(List.of("/opt/opencode", "serve", "--hostname", "127.0.0.1", "--port", "41234"),
                ContainerLauncher.opencodeArgs(List.of("opencode", "serve", "--hostname", "0.0.0.0", "--port", "4096"), "/opt/opencode", 41234));
        assertEquals(List.of("/opt/opencode", "serve", "--port=41234", "--hostname=127.0.0.1"),
                ContainerLauncher.opencodeArgs(List.of("opencode", "serve", "--port=4096", "--hostname=0.0.0.0"), "/opt/opencode", 41234));
        assertEquals(List.of("/opt/opencode", "serve", "--hostname", "127.0.0.1", "--port", "41234"),
                ContainerLauncher.opencodeArgs(List.of("opencode", "serve"), "/opt/opencode", 41234), "an image entrypoint without flags");
    }

    @Test
    void kubernetesVariableExpansion() {
        Map<String, String> env = Map.of("HOME", "/home/collab");
        assertEquals("/home/collab/workspace", ContainerEnv.expand("$(HOME)/workspace", env));
        assertEquals("$(UNKNOWN)", ContainerEnv.expand("$(UNKNOWN)", env));
        assertEquals("$(HOME)", ContainerEnv.expand("$$(HOME)", env));
        assertEquals("x=$(cat \"$HOME/f\")", ContainerEnv.expand("x=$(cat \"$HOME/f\")", env), "shell syntax is left alone");
    }

    @Test
    void sessionFoldersPerNamespace() {
        assertEquals(Path.of("/data/sessions/alice"), settings.sessionDir("default", "alice"));
        assertEquals(Path.of("/data/namespaces/team-a/sessions/alice"), settings.sessionDir("team-a", "alice"));
    }
}
