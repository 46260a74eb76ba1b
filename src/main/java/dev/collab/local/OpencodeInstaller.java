package dev.collab.local;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Finds the opencode binary for local workers, and installs the npm package into {@code <data-dir>/opencode}
 * when the configured command is the default {@code opencode} and none is on the PATH.
 */
public final class OpencodeInstaller {
    private static final Logger LOG = Logger.getLogger(OpencodeInstaller.class);
    /** The version docs/DESIGN.md section 7 was measured with; also the session image's version. */
    public static final String PACKAGE = "opencode-ai@1.18.33";

    private OpencodeInstaller() {}

    /** The installed binary under a data dir (present or not). */
    public static Path installedBinary(Path dataDir) {
        return dataDir.resolve("opencode")
                .resolve("node_modules")
                .resolve(".bin")
                .resolve("opencode");
    }

    /** An absolute path to run for the configured command, installing opencode when needed. */
    public static String resolve(String configured, Path dataDir) {
        String command = configured == null || configured.isBlank() ? LocalNodeSettings.OPENCODE : configured.trim();
        if (command.contains(File.separator)) {
            Path path = Path.of(command).toAbsolutePath();
            if (!Files.isExecutable(path)) {
                throw new IllegalStateException("collab.local.opencode-command " + path + " is not an executable file");
            }
            return path.toString();
        }
        Optional<Path> onPath = findOnPath(command);
        if (onPath.isPresent()) {
            return onPath.get().toString();
        }
        if (!LocalNodeSettings.OPENCODE.equals(command)) {
            throw new IllegalStateException("collab.local.opencode-command " + command + " is not on the PATH");
        }
        Path installed = installedBinary(dataDir);
        if (Files.isExecutable(installed)) {
            return installed.toString();
        }
        install(dataDir);
        return installed.toString();
    }

    private static void install(Path dataDir) {
        Path npm = findOnPath("npm")
                .orElseThrow(() -> new IllegalStateException(
                        "opencode is not on the PATH and npm is not either: install Node.js 20+ (for npm) or opencode, "
                                + "or set collab.local.opencode-command"));
        Path prefix = dataDir.resolve("opencode");
        List<String> command = List.of(
                npm.toString(),
                "install",
                "--prefix",
                prefix.toString(),
                "--no-fund",
                "--no-audit",
                "--loglevel=error",
                PACKAGE);
        LOG.infof("opencode is not on the PATH: installing %s into %s (once)", PACKAGE, prefix);
        try {
            Files.createDirectories(prefix);
            Process p = new ProcessBuilder(command).inheritIO().start();
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException("npm install " + PACKAGE + " did not finish in 10 minutes");
            }
            if (p.exitValue() != 0 || !Files.isExecutable(installedBinary(dataDir))) {
                throw new IllegalStateException("npm install " + PACKAGE + " failed (exit " + p.exitValue() + ")");
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run npm: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while installing opencode", e);
        }
    }

    public static Optional<Path> findOnPath(String command) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        return Arrays.stream(path.split(File.pathSeparator))
                .filter(d -> !d.isBlank())
                .map(d -> Path.of(d, command))
                .filter(p -> Files.isRegularFile(p) && Files.isExecutable(p))
                .map(Path::toAbsolutePath)
                .findFirst();
    }
}
