package dev.collab.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.collab.api.CollabSessionStatus;
import dev.collab.api.SessionEgress;
import dev.collab.api.SessionPhase;
import org.junit.jupiter.api.Test;

/** Pure: the operator's status patch carries the gateway's fields as the patched version holds them. */
class GatewayOwnedStatusTest {

    @Test
    void theOperatorsPatchKeepsTheGatewaysEgressCountsOfThePatchedVersion() {
        CollabSessionStatus operators = new CollabSessionStatus();
        operators.setPhase(SessionPhase.Running);
        operators.setEgress(new SessionEgress(1, 0, 10, 10, "2026-12-05T00:00:00Z")); // stale, from its cache
        CollabSessionStatus current = new CollabSessionStatus();
        current.setEgress(new SessionEgress(7, 2, 700, 9000, "2026-12-05T00:01:00Z")); // the gateway's last write

        StatusRecorder.keepGatewayFields(operators, current);

        assertThat(operators.getEgress().getConnections()).isEqualTo(7);
        assertThat(operators.getEgress().getBytesDown()).isEqualTo(9000);
        assertThat(operators.getPhase()).isEqualTo(SessionPhase.Running);

        StatusRecorder.keepGatewayFields(operators, null); // a session the gateway never wrote
        assertThat(operators.getEgress()).isNull();
    }
}
