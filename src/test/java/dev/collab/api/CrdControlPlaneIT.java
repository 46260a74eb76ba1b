package dev.collab.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.collab.testing.CollabInstall;
import dev.collab.testing.ControlPlane;
import dev.collab.testing.ControlPlaneExtension;
import dev.collab.testing.Kubectl;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The committed CRD on a real kube-apiserver: server-side apply, printer columns, explain, short name, category. */
@ExtendWith(ControlPlaneExtension.class)
class CrdControlPlaneIT {
    static final String NS = "crd-it";

    @BeforeAll
    static void install(ControlPlane plane) {
        assertThat(CollabInstall.crd(plane))
                .contains("customresourcedefinition.apiextensions.k8s.io/" + CollabInstall.CRD_NAME);
        plane.ensureNamespace(NS, ControlPlane.restricted());
        plane.kubectl().runWithInput("""
                apiVersion: collab.dev/v1alpha1
                kind: CollabSession
                metadata: {name: alice-main, namespace: crd-it}
                spec:
                  owner: alice
                  credentials: {secretName: alice-credentials}
                """, "apply", "--server-side", "-f", "-").orFail();
    }

    @Test
    void serverSideApplyOfTheCommittedCrdIsIdempotent(ControlPlane plane) {
        assertThat(CollabInstall.crd(plane)).contains("serverside-applied");
    }

    @Test
    void shortNameListsSessionsWithThePrinterColumns(ControlPlane plane) {
        String table = plane.kubectl().run("get", "collab", "-n", NS).orFail();
        String header = table.lines().findFirst().orElseThrow();
        // The CRD generator orders the columns by name; kubectl shows them in the CRD's order.
        assertThat(header.split("\\s+"))
                .containsExactly("NAME", "AGE", "OWNER", "READY", "LAST-ACTIVITY", "PHASE", "REASON");
        assertThat(table).containsPattern("alice-main\\s+\\S+\\s+alice\\s");
    }

    @Test
    void categoryResolvesToCollabSessions(ControlPlane plane) {
        Kubectl kubectl = plane.kubectl();
        assertThat(kubectl.run("api-resources", "--categories=collab", "-o", "name")
                        .orFail()
                        .strip())
                .isEqualTo(CollabInstall.CRD_NAME);
        assertThat(kubectl.run("api-resources", "--api-group=collab.dev").orFail())
                .containsPattern("collabsessions\\s+collab\\s+collab.dev/v1alpha1\\s+true\\s+CollabSession");
    }

    @Test
    void explainDocumentsTheSpec(ControlPlane plane) {
        // The API server publishes a new CRD's OpenAPI schema a few seconds after the CRD is established.
        String explained = await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofSeconds(1))
                .until(() -> plane.kubectl().run("explain", "collabsession.spec"), r -> r.exitCode() == 0)
                .orFail();
        assertThat(explained)
                .contains(
                        "KIND:       CollabSession",
                        "owner",
                        "The person this session runs and bills as.",
                        "credentials",
                        "idleTimeout");
        assertThat(plane.kubectl()
                        .run("explain", "collab.spec.storage.retainOnDelete")
                        .orFail())
                .contains("the PVC outlives the CollabSession");
    }

    @Test
    void aNegativeUsdBudgetIsRefusedWithAReadableMessage(ControlPlane plane) {
        String session = """
                apiVersion: collab.dev/v1alpha1
                kind: CollabSession
                metadata: {name: bob-budget, namespace: crd-it}
                spec:
                  owner: bob
                  credentials: {secretName: bob-credentials, budget: {usd: %s}}
                """;
        var refused = plane.kubectl().runWithInput(session.formatted("-1"), "apply", "--server-side", "-f", "-");
        assertThat(refused.exitCode()).isNotZero();
        assertThat(refused.err() + refused.out()).contains("spec.credentials.budget.usd", "greater than or equal to 0");
        plane.kubectl()
                .runWithInput(session.formatted("2.50"), "apply", "--server-side", "-f", "-")
                .orFail();
    }
}
