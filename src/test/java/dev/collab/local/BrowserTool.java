package dev.collab.local;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * What the real-browser tests need (tools/browser-test: Debian's chromium driven by playwright-core through node),
 * and the PATH lookup the local-mode tests share.
 */
final class BrowserTool {
    static final Path DIR = Path.of("tools/browser-test").toAbsolutePath();

    private BrowserTool() {}

    /** Skips (locally) or fails (COLLAB_TIERS_REQUIRED) {@code test} when chromium, playwright-core or node is missing. */
    static void assumeAvailable(String test) {
        String chromium = System.getProperty("collab.it.chromium", "/usr/bin/chromium");
        String missing = !Files.isExecutable(Path.of(chromium))
                ? "no chromium at " + chromium + " (apt-get install chromium)"
                : !Files.isDirectory(DIR.resolve("node_modules/playwright-core"))
                        ? "no playwright-core (npm ci in " + DIR + ")"
                        : !onPath("node") ? "no node on the PATH" : null;
        dev.collab.testing.Tiers.assumeAvailable(missing == null, test + ": " + missing);
    }

    static boolean onPath(String command) {
        String path = System.getenv("PATH");
        return path != null
                && Arrays.stream(path.split(File.pathSeparator)).anyMatch(d -> Files.isExecutable(Path.of(d, command)));
    }
}
