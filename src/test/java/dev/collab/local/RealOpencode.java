package dev.collab.local;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the tests that need the real opencode find it: -Dcollab.it.opencode, the PATH, or .collab-local/opencode
 * (.ci/install-opencode.sh puts it there).
 */
final class RealOpencode {
    private RealOpencode() {
    }

    static Optional<String> find() {
        String configured = System.getProperty("collab.it.opencode");
        if (configured != null && !configured.isBlank()) {
            return Optional.of(configured);
        }
        Optional<Path> onPath = OpencodeInstaller.findOnPath("opencode");
        if (onPath.isPresent()) {
            return Optional.of(onPath.get().toString());
        }
        Path installed = OpencodeInstaller.installedBinary(Path.of(".collab-local").toAbsolutePath());
        return Files.isExecutable(installed) ? Optional.of(installed.toString()) : Optional.empty();
    }
}
