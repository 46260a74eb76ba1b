package dev.collab.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bwrap command line (pure), and one real bwrap run where bubblewrap works on this machine. */
class SandboxTest {
    private static final Path DATA = Path.of("/data/collab");
    private static final Path USER_HOME = Path.of("/home/me");

    @Test
    void hidesTheDataDirAndTheUsersHomeThenBindsTheMountsBackShallowFirst() {
        Path home = DATA.resolve("sessions/alice/home");
        Path secrets = DATA.resolve("sessions/alice/secrets/credentials");
        List<String> cmd = Sandbox.command(
                "/usr/bin/bwrap",
                List.of(DATA, USER_HOME),
                List.of(new Sandbox.Mount(secrets, false), new Sandbox.Mount(home, true)),
                home,
                List.of("opencode", "serve"));

        assertThat(String.join(" ", cmd))
                .startsWith("/usr/bin/bwrap --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp")
                .contains("--tmpfs /data/collab --tmpfs /home/me")
                .contains("--bind " + home + " " + home + " --ro-bind-try " + secrets + " " + secrets)
                .contains("--unshare-pid")
                .contains("--die-with-parent")
                .endsWith("--chdir " + home + " -- opencode serve");
        assertThat(cmd.lastIndexOf("--tmpfs")).isLessThan(cmd.indexOf("--bind"));
    }

    @Test
    void keepsTheCommandsInstallationAndPathVisibleButNeverAFolderThatHoldsAHiddenOne() {
        List<Sandbox.Mount> tools = Sandbox.toolMounts(
                "/home/me/repo/.collab-local/opencode/node_modules/.bin/opencode",
                "/home/me/.local/bin:/usr/bin:/home/me:/data",
                List.of(DATA, USER_HOME));

        assertThat(tools)
                .extracting(Sandbox.Mount::path)
                .containsExactly(Path.of("/home/me/repo/.collab-local/opencode"), Path.of("/home/me/.local/bin"));
        assertThat(tools).noneMatch(Sandbox.Mount::writable);
        assertThat(Sandbox.installRoot(Path.of("/usr/local/bin/opencode"))).isEqualTo(Path.of("/usr/local/bin"));

        // /tmp is always an empty tmpfs inside: an installation under it (a clone in /tmp, as CI may make) is bound
        // back, or the worker cannot even start (seen in a CI rehearsal: "execvp ... No such file or directory")
        assertThat(Sandbox.toolMounts(
                        "/tmp/ci/repo/.collab-local/opencode/node_modules/.bin/opencode",
                        "/usr/bin",
                        List.of(DATA, USER_HOME)))
                .extracting(Sandbox.Mount::path)
                .containsExactly(Path.of("/tmp/ci/repo/.collab-local/opencode"));
    }

    @Test
    void aSandboxedProcessSeesItsHomeOnly(@TempDir Path tmp) throws Exception {
        String bwrap = Sandbox.resolve("auto");
        dev.collab.testing.Tiers.assumeAvailable(
                !Sandbox.NONE.equals(bwrap), "bubblewrap is not usable here (apt-get install bubblewrap)");
        Path data = tmp.resolve("data");
        Path alice = data.resolve("sessions/alice/home");
        Path bob = data.resolve("sessions/bob/home");
        Files.createDirectories(alice);
        Files.createDirectories(bob);
        Files.writeString(bob.resolve("auth.json"), "bob-secret");
        Files.writeString(data.resolve("admin-token"), "admin-secret");
        Files.writeString(alice.resolve("own.txt"), "alice-own");

        List<String> cmd = Sandbox.command(
                bwrap,
                List.of(data),
                List.of(new Sandbox.Mount(alice, true)),
                alice,
                List.of(
                        "sh",
                        "-c",
                        "cat own.txt; cat " + bob.resolve("auth.json") + " " + data.resolve("admin-token")
                                + "; echo written > " + alice.resolve("new.txt")
                                + "; touch /etc/x; ls /proc | grep -c '^[0-9]'"));
        Path out = tmp.resolve("out.txt");
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(out.toFile())
                .start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String text = Files.readString(out, StandardCharsets.UTF_8);

        assertThat(text).contains("alice-own").doesNotContain("bob-secret").doesNotContain("admin-secret");
        assertThat(text).contains("Read-only file system"); // /etc
        assertThat(Files.readString(alice.resolve("new.txt"))).isEqualTo("written\n");
        // its own pid namespace: a handful of processes (bwrap's init, sh, ls, grep), not the machine's
        assertThat(Integer.parseInt(
                        text.strip().lines().reduce((a, b) -> b).orElseThrow().strip()))
                .isLessThan(10);
    }
}
