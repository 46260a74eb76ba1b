package dev.collab.monitoring;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Every alert pages or tickets with a severity and a runbook_url that names its own entry in DEPLOYMENT.md, "Alert
 * runbook" (a heading per alert; GitHub's anchor is the heading in lower case).
 */
class AlertRunbookTest {
    private static final String RUNBOOK =
            "https://github.com/collab-dev/collab-session-operator/blob/main/DEPLOYMENT.md#";
    private static final Set<String> SEVERITIES = Set.of("critical", "warning", "info");

    @Test
    void everyAlertHasASeverityAndItsRunbookEntry() throws Exception {
        String deployment = Files.readString(Path.of("DEPLOYMENT.md"));
        assertTrue(deployment.contains("\n## Alert runbook\n"), "DEPLOYMENT.md has an Alert runbook section");
        String runbook = deployment.substring(deployment.indexOf("\n## Alert runbook\n"));
        Set<String> headings = Pattern.compile("(?m)^#### (\\w+)$")
                .matcher(runbook)
                .results()
                .map(m -> m.group(1))
                .collect(Collectors.toSet());
        List<MonitoringFiles.Alert> alerts = MonitoringFiles.alerts();
        assertFalse(alerts.isEmpty());
        for (MonitoringFiles.Alert a : alerts) {
            assertTrue(SEVERITIES.contains(a.severity()), a.name() + " severity " + a.severity());
            assertTrue(
                    (RUNBOOK + a.name().toLowerCase(Locale.ROOT)).equals(a.runbookUrl()),
                    a.name() + " runbook_url " + a.runbookUrl());
            assertTrue(headings.contains(a.name()), "DEPLOYMENT.md's Alert runbook has no '#### " + a.name() + "'");
        }
        Set<String> names = alerts.stream().map(MonitoringFiles.Alert::name).collect(Collectors.toSet());
        for (String h : headings) {
            assertTrue(names.contains(h), "the runbook describes " + h + ", which is no alert in rules.yaml");
        }
    }
}
