package dev.collab.local;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The local node's container isolation: each worker runs under bubblewrap with the system read-only, its own
 * volumes bound in (the session HOME and the pod's scratch writable, Secret volumes read-only), and the data dir
 * (other sessions, the kubeconfig, the admin token, the API state), this user's HOME and /tmp replaced by empty
 * tmpfs. Its own pid namespace; the network stays shared (the worker serves and calls on loopback).
 */
final class Sandbox {
    static final String NONE = "none";

    /** A folder bound into the sandbox at the same path. */
    record Mount(Path path, boolean writable) {}

    private Sandbox() {}

    /**
     * The bwrap to use for {@code configured} (auto, bwrap or none): its path, or {@link #NONE}. {@code bwrap} fails
     * when it cannot run here; {@code auto} falls back to none (startup says so).
     */
    static String resolve(String configured) {
        if (NONE.equals(configured)) {
            return NONE;
        }
        Optional<String> usable =
                OpencodeInstaller.findOnPath("bwrap").map(Path::toString).filter(Sandbox::works);
        if (usable.isEmpty() && "bwrap".equals(configured)) {
            throw new IllegalStateException(
                    "collab.local.sandbox=bwrap but bubblewrap is not usable here (install the bubblewrap package; "
                            + "it needs unprivileged user namespaces or root)");
        }
        return usable.orElse(NONE);
    }

    /** bwrap can create its namespaces here (user namespaces may be disabled, e.g. in some containers). */
    private static boolean works(String bwrap) {
        try {
            Process p = new ProcessBuilder(
                            bwrap,
                            "--ro-bind",
                            "/",
                            "/",
                            "--dev",
                            "/dev",
                            "--proc",
                            "/proc",
                            "--unshare-pid",
                            "--die-with-parent",
                            "true")
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * A container's words under bwrap: its own volumes ({@code mounts}) visible, the data dir and this user's HOME
     * hidden, its command's installation and PATH kept; started in its working dir, else HOME, else {@code scratch}.
     */
    static List<String> forContainer(
            LocalNodeSettings settings,
            List<Mount> mounts,
            List<String> words,
            Map<String, String> env,
            String workingDir,
            Path scratch)
            throws IOException {
        List<Path> hidden = new ArrayList<>(List.of(settings.dataDir()));
        Path userHome =
                Path.of(System.getProperty("user.home")).toAbsolutePath().normalize();
        if (userHome.getNameCount() > 0) {
            hidden.add(userHome);
        }
        List<Mount> all = new ArrayList<>(mounts);
        createWritable(all);
        String executable = words.get(0).contains("/")
                ? words.get(0)
                : OpencodeInstaller.findOnPath(words.get(0)).map(Path::toString).orElse(words.get(0));
        all.addAll(toolMounts(executable, env.get("PATH"), hidden));
        Path home = env.get("HOME") == null ? null : Path.of(env.get("HOME"));
        Path chdir =
                workingDir != null ? Path.of(workingDir) : home != null && Files.isDirectory(home) ? home : scratch;
        return command(settings.sandbox(), hidden, all, chdir, words);
    }

    /**
     * The bwrap command line around {@code command}. {@code hidden} folders become empty tmpfs (parents before
     * children); then the mounts are bound back in, shallow ones first so a deeper mount is not covered.
     */
    static List<String> command(String bwrap, List<Path> hidden, List<Mount> mounts, Path chdir, List<String> command) {
        List<String> out = new ArrayList<>(
                List.of(bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"));
        hidden.stream()
                .filter(h -> h.getNameCount() > 0 && !h.equals(Path.of("/tmp")))
                .sorted(Comparator.comparingInt(Path::getNameCount))
                .forEach(h -> out.addAll(List.of("--tmpfs", h.toString())));
        mounts.stream()
                .sorted(Comparator.comparingInt((Mount m) -> m.path().getNameCount()))
                .forEach(m -> out.addAll(List.of(
                        m.writable() ? "--bind" : "--ro-bind-try",
                        m.path().toString(),
                        m.path().toString())));
        out.addAll(List.of(
                "--unshare-pid",
                "--unshare-ipc",
                "--die-with-parent",
                "--new-session",
                "--chdir",
                chdir.toString(),
                "--"));
        out.addAll(command);
        return out;
    }

    /**
     * What must stay visible read-only when its folder is hidden: the installation of the worker's command (the
     * whole npm prefix for node_modules/.bin/x, whose script loads its siblings) and the PATH entries.
     */
    static List<Mount> toolMounts(String executable, String path, List<Path> hidden) {
        List<Path> tools = new ArrayList<>();
        Path exe = Path.of(executable).toAbsolutePath().normalize();
        tools.add(installRoot(exe));
        try {
            tools.add(installRoot(exe.toRealPath()));
        } catch (IOException e) {
            // not there (yet): the launch reports it
        }
        if (path != null) {
            for (String entry : path.split(File.pathSeparator)) {
                if (!entry.isBlank() && entry.startsWith("/")) {
                    tools.add(Path.of(entry).normalize());
                }
            }
        }
        // only what a hidden folder covers (/tmp is always hidden: a clone under /tmp keeps its opencode there), and
        // never a folder that holds a hidden one (it would show it again)
        List<Path> covering = new ArrayList<>(hidden);
        covering.add(Path.of("/tmp"));
        return tools.stream()
                .filter(t -> covering.stream().anyMatch(t::startsWith))
                .filter(t -> covering.stream().noneMatch(h -> h.startsWith(t)))
                .distinct()
                .map(t -> new Mount(t, false))
                .toList();
    }

    /** {@code /x/node_modules/.bin/opencode} → {@code /x}; any other executable → its folder. */
    static Path installRoot(Path exe) {
        for (Path p = exe.getParent(); p != null; p = p.getParent()) {
            if (p.getFileName() != null && "node_modules".equals(p.getFileName().toString())) {
                return p.getParent();
            }
        }
        return exe.getParent();
    }

    /** Creates the writable mounts' folders (bwrap binds existing paths only). */
    static void createWritable(List<Mount> mounts) throws IOException {
        for (Mount m : mounts) {
            if (m.writable()) {
                Files.createDirectories(m.path());
            }
        }
    }
}
