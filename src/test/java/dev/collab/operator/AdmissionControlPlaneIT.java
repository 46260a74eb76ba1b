package dev.collab.operator;

import static dev.collab.operator.OperatorOnControlPlane.NS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.ConditionTypes;
import dev.collab.testing.ControlPlane;
import dev.collab.testing.ControlPlaneExtension;
import dev.collab.testing.Kubectl;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad CollabSessions on the real API server, applied with kubectl as a person would. Each is either rejected by the
 * API server (OpenAPI schema or CEL rule of the committed CRD) with a message naming the field, or accepted and
 * answered by the operator with Ready=False and a reason a person can act on. The table says which, and why.
 */
@ExtendWith(ControlPlaneExtension.class)
class AdmissionControlPlaneIT {
    static OperatorOnControlPlane env;

    @BeforeAll
    static void startOperator(ControlPlane plane) {
        env = new OperatorOnControlPlane(plane, OperatorSettings.defaults());
        env.credentials("adm-credentials", "alice");
        env.admin
                .secrets()
                .inNamespace(NS)
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName("adm-wrong-keys")
                        .withLabels(CollabLabels.credentialSecretLabels("alice"))
                        .endMetadata()
                        .withStringData(Map.of("password.txt", "x"))
                        .build())
                .createOr(s -> s.update());
    }

    @AfterAll
    static void stopOperator() {
        if (env != null) {
            env.close();
        }
    }

    /** A bad object: the spec (YAML, under "spec:"), and what a person is told. */
    record Case(String name, String spec, String rejectedWith, String conditionReason) {
        static Case rejected(String name, String spec, String message) {
            return new Case(name, spec, message, null);
        }

        static Case answered(String name, String spec, String reason) {
            return new Case(name, spec, null, reason);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static final String OK = "{owner: alice, credentials: {secretName: adm-credentials}";

    static Stream<Case> badSessions() {
        return Stream.of(
                // Schema: required fields and types.
                Case.rejected("no-owner", "{credentials: {secretName: adm-credentials}}", "spec.owner: Required value"),
                Case.rejected(
                        "empty-owner",
                        "{owner: '', credentials: {secretName: adm-credentials}}",
                        "spec.owner: Invalid value: \"\": spec.owner in body should be at least 1 chars long"),
                Case.rejected("no-credentials", "{owner: alice}", "spec.credentials: Required value"),
                Case.rejected(
                        "no-secret-name",
                        "{owner: alice, credentials: {}}",
                        "spec.credentials.secretName: Required value"),
                Case.rejected("suspend-yes", OK + ", suspend: 'yes'}", ".spec.suspend: expected boolean"),
                Case.rejected(
                        "unknown-field", OK + ", idleTimout: 1h}", ".spec.idleTimout: field not declared in schema"),
                // Schema pattern and CEL rules.
                Case.rejected(
                        "idle-banana", OK + ", idleTimeout: banana}", "spec.idleTimeout: Invalid value: \"banana\""),
                Case.rejected(
                        "env-home",
                        OK + ", env: [{name: HOME, value: /tmp}]}",
                        "env may not set HOME, XDG_* or OPENCODE_SERVER_*"),
                Case.rejected(
                        "env-xdg",
                        OK + ", env: [{name: XDG_CONFIG_HOME, value: /tmp}]}",
                        "env may not set HOME, XDG_* or OPENCODE_SERVER_*"),
                Case.rejected(
                        "env-server",
                        OK + ", env: [{name: OPENCODE_SERVER_PASSWORD, value: x}]}",
                        "env may not set HOME, XDG_* or OPENCODE_SERVER_*"),
                Case.rejected(
                        "env-no-name",
                        OK + ", env: [{value: x}]}",
                        "spec.env: Invalid value: every env entry needs a name"),
                Case.rejected(
                        "env-too-many",
                        OK + ", env: [" + "{name: A, value: x},".repeat(101) + "]}",
                        "spec.env: Too many: 101: must have at most 100 items"),
                Case.rejected("storage-lots", OK + ", storage: {size: lots}}", "spec.storage.size"),
                // Accepted by the API server (it cannot see Secrets), answered by the operator.
                Case.answered(
                        "secret-missing",
                        "{owner: alice, credentials: {secretName: nobody-made-this}}",
                        "SecretNotFound"),
                Case.answered(
                        "secret-unknown-keys",
                        "{owner: alice, credentials: {secretName: adm-wrong-keys}}",
                        "NoKnownCredentialKeys"),
                // Rules added by the structure branch (CEL on metadata.name and idleTimeout, spec required).
                Case.rejected(
                        "a-name-so-long-that-the-labels-of-its-children-would-exceed-63-chars",
                        OK + "}",
                        "metadata.name must be at most 63 characters"),
                Case.rejected("no-spec", null, "spec: Required value"),
                Case.rejected("idle-huge", OK + ", idleTimeout: 3000000h}", "idleTimeout must be at most 8760h"),
                Case.answered(
                        "env-from-secret",
                        OK + ", env: [{name: DB, valueFrom: {secretKeyRef: {name: db, key: password}}}]}",
                        "ForbiddenEnvValueFrom"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badSessions")
    void badSessionIsRejectedOrAnswered(Case c, ControlPlane plane) {
        Kubectl.Result result = apply(plane, c.name, c.spec);
        if (c.rejectedWith != null) {
            assertThat(result.ok())
                    .as("API server accepted %s: %s", c.name, result.out())
                    .isFalse();
            assertThat(result.err()).contains(c.name).contains(c.rejectedWith);
            return;
        }
        result.orFail();
        CollabSession answered =
                env.awaitSession(c.name, s -> ready(s) != null && c.conditionReason.equals(ready(s).getReason()));
        assertThat(ready(answered).getStatus()).isEqualTo("False");
        assertThat(ready(answered).getMessage()).isNotBlank();
        assertThat(env.admin.pods().inNamespace(NS).withName(c.name).get())
                .as("no pod for a bad spec")
                .isNull();
    }

    @Test
    void validSessionsAreAccepted(ControlPlane plane) {
        apply(plane, "valid-minimal", OK + "}").orFail();
        apply(
                        plane,
                        "valid-full",
                        OK + ", idleTimeout: 1h30m, suspend: true, env: [{name: GIT_AUTHOR_NAME, value: Alice}],"
                                + " storage: {size: 5Gi, retainOnDelete: true}, resources: {limits: {memory: 2Gi}}}")
                .orFail();
        assertThat(List.of("valid-minimal", "valid-full"))
                .allSatisfy(n -> assertThat(env.session(n)).isNotNull());
    }

    static Kubectl.Result apply(ControlPlane plane, String name, String spec) {
        String yaml = "apiVersion: collab.dev/v1alpha1\nkind: CollabSession\nmetadata: {name: " + name + ", namespace: "
                + NS + "}\n" + (spec == null ? "" : "spec: " + spec + "\n");
        return plane.kubectl().runWithInput(yaml, "apply", "--server-side", "--field-manager=person", "-f", "-");
    }

    static Condition ready(CollabSession s) {
        return s.getStatus() == null || s.getStatus().getConditions() == null
                ? null
                : s.getStatus().getConditions().stream()
                        .filter(c -> ConditionTypes.READY.equals(c.getType()))
                        .findFirst()
                        .orElse(null);
    }
}
