package dev.collab.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.collab.local.controlplane.ControlPlaneBinaries;
import dev.collab.testing.Kubectl;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 16's "done when": local mode as the README starts it (the packaged app, role local) on the real control
 * plane, driven by the real kubectl that was built with it, on the printed kubeconfig: apply the example, wait
 * Ready, get, describe, idle stop and wake by annotation, delete; the API server's own message for an invalid
 * session; and a pod the local node cannot run. Real opencode, real API server; nothing faked.
 */
@RealLocalMode(controlPlane = true)
class KubectlLocalModeControlPlaneIT {
    private static final String NS = "collab"; // examples/collabsession.yaml's namespace
    private static LocalModeRun local;
    private static Kubectl kubectl;

    @BeforeAll
    static void startLocalMode() throws Exception {
        local = LocalModeRun.startOnControlPlane(
                Path.of("target/kubectl-local-mode"), Map.of("QUARKUS_KUBERNETES_CLIENT_NAMESPACE", NS));
        kubectl = new Kubectl(
                ControlPlaneBinaries.find().orElseThrow().kubectl(),
                local.dataDir().resolve("kubeconfig"));
    }

    @AfterAll
    static void stopLocalMode() throws Exception {
        if (local != null) {
            local.stop(List.of());
        }
    }

    @Test
    void kubectlDrivesASessionThroughItsLife() {
        assertThat(ok("apply", "-f", "examples/collabsession.yaml"))
                .contains("collabsession.collab.dev/example created");
        ok("wait", "--for=condition=Ready", "--timeout=110s", "collab/example");
        assertThat(ok("get", "collab", "example")).containsPattern("example\\s+\\S+\\s+alice@example.com\\s+True");

        // the local node took the pod (no scheduler), is a Ready Node, and the namespace enforces restricted
        assertThat(ok("get", "pod", "example", "-o", "jsonpath={.spec.nodeName} {.status.phase}"))
                .isEqualTo("collab-local Running");
        assertThat(ok(
                        "get",
                        "node",
                        "collab-local",
                        "-o",
                        "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}"))
                .isEqualTo("True");
        assertThat(ok("get", "namespace", NS, "-o", "jsonpath={.metadata.labels}"))
                .contains("\"pod-security.kubernetes.io/enforce\":\"restricted\"");
        assertThat(ok("describe", "collab", "example")).contains("Events:").containsPattern("Normal\\s+Ready");

        // idle stop, then wake with the annotation the README shows
        ok("patch", "collab", "example", "--type=merge", "-p", "{\"spec\":{\"idleTimeout\":\"5s\"}}");
        ok("wait", "--for=jsonpath={.status.phase}=Stopped", "--timeout=60s", "collab/example");
        ok("wait", "--for=delete", "--timeout=60s", "pod/example");
        ok("patch", "collab", "example", "--type=merge", "-p", "{\"spec\":{\"idleTimeout\":\"30m\"}}");
        ok(
                "annotate",
                "collab",
                "example",
                "--overwrite",
                "collab.dev/last-activity=" + java.time.Instant.now().plusSeconds(1));
        ok("wait", "--for=condition=Ready", "--timeout=110s", "collab/example");
        assertThat(ok("describe", "collab", "example")).containsPattern("Normal\\s+Woken");

        assertThat(ok("delete", "-f", "examples/collabsession.yaml")).contains("deleted");
        ok("wait", "--for=delete", "--timeout=90s", "pod/example", "pvc/example-home");
        assertThat(ok("get", "collab,pods", "-o", "name")).doesNotContain("example");
    }

    @Test
    void anInvalidSessionIsRejectedWithTheServersMessage() {
        Kubectl.Result rejected = kubectl.runWithInput("""
                apiVersion: collab.dev/v1alpha1
                kind: CollabSession
                metadata: {name: bad, namespace: collab}
                spec: {owner: bob@example.com, credentials: {secretName: x}, idleTimeout: forever}
                """, "apply", "-f", "-");
        assertThat(rejected.exitCode()).isNotZero();
        assertThat(rejected.err())
                .contains("The CollabSession \"bad\" is invalid")
                .contains("spec.idleTimeout");
        assertThat(ok("get", "collab", "-o", "name")).doesNotContain("bad");
    }

    @Test
    void aPodTheNodeCannotRunGetsAContainerStateAndTheSessionACondition() {
        applyStdin("""
                apiVersion: v1
                kind: Secret
                metadata:
                  name: broken-credentials
                  namespace: collab
                  labels: {collab.dev/credentials: "true", collab.dev/owner: %s}
                stringData:
                  opencode.json: '{"autoupdate": false}'
                ---
                apiVersion: collab.dev/v1alpha1
                kind: CollabSession
                metadata: {name: broken, namespace: collab}
                spec:
                  owner: carol@example.com
                  credentials: {secretName: broken-credentials}
                  image: busybox:1.36
                """.formatted(dev.collab.api.CollabLabels.ownerLabelValue("carol@example.com")));
        // the pod exists once the operator made it; then the local node reports why it cannot run it
        awaitOk("get", "pod", "broken");
        ok(
                "wait",
                "--for=jsonpath={.status.containerStatuses[0].state.waiting.reason}=ErrImagePull",
                "--timeout=90s",
                "pod/broken");
        assertThat(ok("get", "pod", "broken", "-o", "jsonpath={.status.containerStatuses[0].state.waiting.message}"))
                .contains("no mapping for image \"busybox:1.36\"");
        ok(
                "wait",
                "--for=jsonpath={.status.conditions[?(@.type==\"Ready\")].reason}=ErrImagePull",
                "--timeout=90s",
                "collab/broken");
        assertThat(ok("get", "collab", "broken", "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].message}"))
                .contains("busybox:1.36");
        ok("delete", "collab", "broken", "--wait=true", "--timeout=90s");
        ok("wait", "--for=delete", "--timeout=90s", "pod/broken");
    }

    private static void awaitOk(String... args) {
        java.time.Instant end = java.time.Instant.now().plusSeconds(90);
        while (!kubectl.run(args).ok()) {
            assertThat(java.time.Instant.now())
                    .as("kubectl %s within 90 s", String.join(" ", args))
                    .isBefore(end);
            sleep();
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String ok(String... args) {
        return kubectl.run(args).orFail();
    }

    private static String applyStdin(String yaml) {
        return kubectl.runWithInput(yaml, "apply", "-f", "-").orFail();
    }
}
