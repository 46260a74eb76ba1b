package dev.collab.local.controlplane;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The pids of a running control plane, in its directory: a run whose JVM was killed (no shutdown) leaves etcd and
 * the API server holding etcd's lock and their ports; the next start in the same directory stops them first.
 */
final class ControlPlanePids {
    private static final String FILE = "pids";

    private ControlPlanePids() {}

    static void write(Path dir, List<ManagedProcess> processes) {
        StringBuilder pids = new StringBuilder();
        processes.forEach(p -> pids.append(p.pid()).append('\n'));
        try {
            Files.writeString(dir.resolve(FILE), pids, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void forget(Path dir) {
        try {
            Files.deleteIfExists(dir.resolve(FILE));
        } catch (IOException e) {
            // best effort: the next start checks the pids it names
        }
    }

    /** Stops the listed processes that still run one of these binaries (a reused pid is left alone). */
    static void stopLeftovers(Path dir, ControlPlaneBinaries binaries) {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return;
        }
        try {
            for (String line : Files.readAllLines(file)) {
                ProcessHandle.of(Long.parseLong(line.trim()))
                        .filter(h -> h.info()
                                .command()
                                .map(c -> c.startsWith(binaries.dir().toString()))
                                .orElse(false))
                        .ifPresent(h -> {
                            h.destroy();
                            if (h.onExit()
                                    .completeOnTimeout(h, 15, TimeUnit.SECONDS)
                                    .join()
                                    .isAlive()) {
                                h.destroyForcibly();
                            }
                        });
            }
            Files.delete(file);
        } catch (IOException | NumberFormatException e) {
            // a damaged pid file: nothing to stop
        }
    }
}
