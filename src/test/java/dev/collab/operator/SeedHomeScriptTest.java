package dev.collab.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.collab.api.CollabLabels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the real seed-home script with sh against temporary folders standing for the Secret mount and HOME. */
class SeedHomeScriptTest {
    @TempDir
    Path tmp;

    @Test
    void seedsOnceKeepsRefreshedFilesAndLetsANewUploadWin() throws Exception {
        Path creds = Files.createDirectories(tmp.resolve("secret"));
        Path home = Files.createDirectories(tmp.resolve("home"));
        Files.writeString(creds.resolve("claude-credentials.json"), "{\"refresh\":\"r1\"}");
        Files.writeString(creds.resolve("auth.json"), "{\"anthropic\":{\"type\":\"api\",\"key\":\"k1\"}}");
        Files.writeString(creds.resolve("ignored.txt"), "not a credential key");

        // First start: everything is seeded, private to the user.
        assertThat(run(creds, home)).isZero();
        Path claude = home.resolve(".claude/.credentials.json");
        Path auth = home.resolve(".local/share/opencode/auth.json");
        assertThat(Files.readString(claude)).isEqualTo("{\"refresh\":\"r1\"}");
        assertThat(Files.readString(auth)).contains("k1");
        assertThat(Files.getPosixFilePermissions(claude))
                .isEqualTo(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
        assertThat(Files.getPosixFilePermissions(auth))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        assertThat(home.resolve("workspace")).isDirectory();
        assertThat(home.resolve(".config/opencode/opencode.json")).doesNotExist();
        assertThat(home.resolve("ignored.txt")).doesNotExist();

        // The plugin refreshes the token in HOME; a restart with the same Secret keeps it.
        Files.writeString(claude, "{\"refresh\":\"r2-refreshed\"}");
        assertThat(run(creds, home)).isZero();
        assertThat(Files.readString(claude)).isEqualTo("{\"refresh\":\"r2-refreshed\"}");

        // A new upload changes the Secret: it always wins.
        Files.writeString(creds.resolve("claude-credentials.json"), "{\"refresh\":\"uploaded\"}");
        assertThat(run(creds, home)).isZero();
        assertThat(Files.readString(claude)).isEqualTo("{\"refresh\":\"uploaded\"}");
        assertThat(Files.getPosixFilePermissions(claude))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    }

    @Test
    void recordedHashEqualsTheOperatorsCredentialsHash() throws Exception {
        Path creds = Files.createDirectories(tmp.resolve("secret"));
        Path home = Files.createDirectories(tmp.resolve("home"));
        Map<String, String> files = Map.of("auth.json", "{\"a\":1}", "opencode.json", "{\"model\":\"x\"}");
        for (var e : files.entrySet()) {
            Files.writeString(creds.resolve(e.getKey()), e.getValue());
        }
        assertThat(run(creds, home)).isZero();

        var secret = new io.fabric8.kubernetes.api.model.SecretBuilder()
                .withNewMetadata()
                .withName("s")
                .withLabels(CollabLabels.credentialSecretLabels("alice"))
                .endMetadata()
                .build();
        files.forEach((k, v) -> secret.getData()
                .put(k, java.util.Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
        String operatorHash = CredentialsState.of("s", secret, "alice").hash();
        assertThat("sha256:"
                        + Files.readString(home.resolve(".collab/credentials.sha256"))
                                .trim())
                .isEqualTo(operatorHash);
        assertThat(CollabLabels.sha256Hex("x")).hasSize(64);
    }

    private int run(Path creds, Path home) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", SeedHomeScript.TEXT)
                .redirectErrorStream(true)
                .redirectOutput(tmp.resolve("seed.log").toFile());
        pb.environment().put("HOME", home.toString());
        pb.environment().put("COLLAB_CREDENTIALS_DIR", creds.toString());
        Process p = pb.start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("seed-home did not finish");
        }
        return p.exitValue();
    }
}
