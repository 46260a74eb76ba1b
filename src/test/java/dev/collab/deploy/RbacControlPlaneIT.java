package dev.collab.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.collab.testing.AuditLog;
import dev.collab.testing.CollabInstall;
import dev.collab.testing.ControlPlane;
import dev.collab.testing.ControlPlaneExtension;
import dev.collab.testing.Kubectl;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The RBAC that {@code deploy/} ships, asked of the real authorizer with {@code kubectl auth can-i --as=...}: each
 * identity may do what the DEPLOYMENT.md security model says, and may not do what it says it may not.
 * (The operator using exactly this RBAC through a session's life without a 403: SessionLifecycleControlPlaneIT.)
 */
@ExtendWith(ControlPlaneExtension.class)
class RbacControlPlaneIT {
    static final String OPERATOR = AuditLog.serviceAccount("collab-system", "collab-operator");
    static final String ROUTER = AuditLog.serviceAccount("collab-system", "collab-router");
    static final String SESSION = AuditLog.serviceAccount("collab", "collab-session");

    @BeforeAll
    static void install(ControlPlane plane) {
        CollabInstall.deployRbac(plane);
    }

    @Test
    void operatorMayManageSessionChildrenAndItsLeaseOnly(ControlPlane plane) {
        assertAnswers(
                plane,
                OPERATOR,
                true,
                "get collabsessions -n collab",
                "watch collabsessions -n collab",
                "patch collabsessions -n collab",
                "patch collabsessions --subresource=status -n collab",
                "create pods -n collab",
                "delete pods -n collab",
                "create persistentvolumeclaims -n collab",
                "delete persistentvolumeclaims -n collab",
                "watch secrets -n collab",
                "create secrets -n collab",
                // A claimed warm worker's access Secret is adopted (update), a duplicate worker's released (delete).
                "update secrets -n collab",
                "delete secrets -n collab",
                // A claim moves a warm worker to its session with a conditional PUT.
                "update pods -n collab",
                "create events -n collab",
                "create leases.coordination.k8s.io -n collab-system",
                "update leases.coordination.k8s.io/collab-session-operator -n collab-system",
                "patch leases.coordination.k8s.io/collab-session-operator -n collab-system");
        assertAnswers(
                plane,
                OPERATOR,
                false,
                "create pods --subresource=exec -n collab",
                "create pods --subresource=attach -n collab",
                "create pods --subresource=portforward -n collab",
                "get secrets -n collab-system",
                "get secrets -n default",
                "create services -n collab",
                "create deployments.apps -n collab",
                "create roles.rbac.authorization.k8s.io -n collab",
                "create collabsessions -n collab",
                "delete collabsessions -n collab",
                "update leases.coordination.k8s.io/someone-else -n collab-system",
                "get pods -n default",
                "create namespaces",
                "list nodes",
                "create clusterroles.rbac.authorization.k8s.io",
                "list customresourcedefinitions.apiextensions.k8s.io");
    }

    @Test
    void routerMayServeSessionsAndCredentialsOnly(ControlPlane plane) {
        assertAnswers(
                plane,
                ROUTER,
                true,
                "get collabsessions -n collab",
                "watch collabsessions -n collab",
                "patch collabsessions -n collab",
                "delete collabsessions -n collab",
                "get secrets -n collab",
                "create secrets -n collab",
                "patch secrets -n collab",
                "get secrets/collab-router-admin -n collab-system");
        assertAnswers(
                plane,
                ROUTER,
                false,
                "get pods -n collab",
                "create pods --subresource=exec -n collab",
                "get persistentvolumeclaims -n collab",
                "patch collabsessions --subresource=status -n collab",
                "create collabsessions -n collab",
                "delete secrets -n collab",
                "get secrets/other -n collab-system",
                "list secrets -n collab-system",
                "get secrets -n default",
                "create namespaces",
                "list nodes",
                "get leases.coordination.k8s.io -n collab-system");
    }

    @Test
    void sessionServiceAccountMayDoNothing(ControlPlane plane) {
        assertAnswers(
                plane,
                SESSION,
                false,
                "get pods -n collab",
                "get collabsessions -n collab",
                "get secrets -n collab",
                "create events -n collab",
                "list namespaces");
    }

    /** Every question gets the expected answer; the failure lists all that did not. */
    static void assertAnswers(ControlPlane plane, String user, boolean expected, String... questions) {
        Kubectl kubectl = plane.kubectl();
        List<String> wrong = new ArrayList<>();
        for (String question : questions) {
            List<String> args = new ArrayList<>(List.of("auth", "can-i", "--as=" + user));
            args.addAll(List.of(question.split(" ")));
            Kubectl.Result answer = kubectl.run(args.toArray(String[]::new));
            if (answer.exitCode() > 1) {
                throw new AssertionError("kubectl auth can-i " + question + ": " + answer.err());
            }
            if ((answer.exitCode() == 0) != expected) {
                wrong.add(question + " -> " + answer.out().strip());
            }
        }
        assertThat(wrong)
                .as("%s: can-i answers other than %s", user, expected ? "yes" : "no")
                .isEmpty();
    }
}
