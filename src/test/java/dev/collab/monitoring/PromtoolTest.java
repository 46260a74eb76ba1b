package dev.collab.monitoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.collab.testing.Tiers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * promtool (Debian package prometheus) on the alerting rules: {@code check rules} validates deploy/monitoring/rules.yaml
 * and {@code test rules} runs its unit tests (rules.test.yaml: input series, expected alerts with labels and
 * annotations). Skipped with the reason on a developer machine without promtool, failed in CI (Tiers).
 */
class PromtoolTest {
    static final Path PROMTOOL = Path.of("/usr/bin/promtool");

    @Test
    void rulesAreValid() throws Exception {
        String out = promtool("check", "rules", MonitoringFiles.RULES.toString());
        assertTrue(out.contains("SUCCESS: " + MonitoringFiles.alerts().size() + " rules found"), out);
    }

    @Test
    void alertUnitTestsPass() throws Exception {
        String out = promtool("test", "rules", MonitoringFiles.RULES_TEST.toString());
        assertTrue(out.contains("SUCCESS"), out);
    }

    /** Every alert is named in at least one unit test: a new alert comes with its test. */
    @Test
    void everyAlertHasAUnitTest() throws Exception {
        String tests = Files.readString(MonitoringFiles.RULES_TEST);
        for (MonitoringFiles.Alert alert : MonitoringFiles.alerts()) {
            assertTrue(
                    tests.contains("alertname: " + alert.name() + "\n"),
                    alert.name() + " has no test in " + MonitoringFiles.RULES_TEST.getFileName());
        }
    }

    private static String promtool(String... args) throws Exception {
        Tiers.assumeAvailable(
                Files.isExecutable(PROMTOOL),
                PROMTOOL + " is missing (Debian package prometheus; .ci/run installs it)");
        List<String> command = new java.util.ArrayList<>(List.of(PROMTOOL.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command)
                .directory(MonitoringFiles.DIR.toFile())
                .redirectErrorStream(true)
                .start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "promtool did not finish");
            assertEquals(0, p.exitValue(), "promtool " + String.join(" ", args) + ":\n" + out);
            return out;
        } finally {
            p.destroyForcibly();
        }
    }
}
