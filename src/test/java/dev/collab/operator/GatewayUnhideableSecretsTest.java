package dev.collab.operator;

import static dev.collab.operator.OperatorHarness.NS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.ConditionTypes;
import dev.collab.api.CredentialsMode;
import dev.collab.api.SessionPhase;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 30 item 5 on the Fabric8 mock API (CRUD) with the operator harness's fake kubelet: a Gateway-mode session
 * whose credential Secret carries an MCP server's environment gets no pod and no placeholder Secret, but a
 * CredentialsReady=False condition naming the field; removing the value starts the session.
 */
class GatewayUnhideableSecretsTest {
    private static final String API_KEY = "{\"anthropic\":{\"type\":\"api\",\"key\":\"sk-ant-REAL-1\"}}";
    private OperatorHarness h;

    @BeforeEach
    void start() {
        h = new OperatorHarness(OperatorSettings.defaults()
                .withGateway(GatewayLink.defaults().withDefaultMode(CredentialsMode.Gateway)));
    }

    @AfterEach
    void stop() {
        h.close();
    }

    @Test
    void anMcpTokenInTheSecretRefusesGatewayModeWithAConditionUntilItIsRemoved() {
        h.credentials(
                "dan-creds",
                Map.of(
                        "auth.json",
                        API_KEY,
                        "opencode.json",
                        "{\"mcp\":{\"gh\":{\"type\":\"local\",\"environment\":{\"GITHUB_TOKEN\":\"ghp_REAL\"}}}}"));
        h.create("dan", new CollabSessionSpec("alice", "dan-creds"));
        CollabSession refused = h.awaitSession(
                "dan",
                s -> s.getStatus() != null
                        && s.getStatus().condition(ConditionTypes.CREDENTIALS_READY) != null
                        && GatewayHomeDependent.UNHIDEABLE_SECRETS.equals(s.getStatus()
                                .condition(ConditionTypes.CREDENTIALS_READY)
                                .getReason()));
        assertThat(refused.getStatus()
                        .condition(ConditionTypes.CREDENTIALS_READY)
                        .getMessage())
                .contains("opencode.json: mcp.gh.environment.GITHUB_TOKEN");
        assertThat(Serialization.asJson(refused.getStatus())).doesNotContain("REAL");
        assertThat(h.client.pods().inNamespace(NS).withName("dan").get()).isNull();
        assertThat(h.client
                        .secrets()
                        .inNamespace(NS)
                        .withName("dan-gateway-home")
                        .get())
                .isNull();

        h.credentials("dan-creds", Map.of("auth.json", API_KEY, "opencode.json", "{\"mcp\":{}}"));
        h.awaitSession("dan", s -> s.getStatus().getPhase() == SessionPhase.Running);
    }
}
