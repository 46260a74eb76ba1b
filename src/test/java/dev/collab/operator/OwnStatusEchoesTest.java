package dev.collab.operator;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.collab.api.CollabSession;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class OwnStatusEchoesTest {
    private final OwnStatusEchoes filter = new OwnStatusEchoes();

    private static CollabSession session(String uid, String resourceVersion) {
        CollabSession s = new CollabSession();
        s.setMetadata(new ObjectMetaBuilder()
                .withName("s")
                .withNamespace("ns")
                .withUid(uid)
                .withResourceVersion(resourceVersion)
                .build());
        return s;
    }

    @Test
    void theEchoOfAnOwnPatchIsNoEventButOnlyOnce() {
        String uid = UUID.randomUUID().toString();
        OwnStatusEchoes.patched(session(uid, "41"));
        assertFalse(filter.accept(session(uid, "41"), session(uid, "40")), "the echo of the own patch");
        assertTrue(filter.accept(session(uid, "41"), session(uid, "40")), "forgotten once seen");
    }

    @Test
    void anotherWritersUpdatePassesAndTheEchoAfterItIsStillFiltered() {
        String uid = UUID.randomUUID().toString();
        OwnStatusEchoes.patched(session(uid, "41"));
        // the gateway's usage write came before the operator's patch: its event (40) arrives first
        assertTrue(filter.accept(session(uid, "40"), session(uid, "39")));
        assertFalse(filter.accept(session(uid, "41"), session(uid, "40")));
        // a later writer (kubectl) passes
        assertTrue(filter.accept(session(uid, "42"), session(uid, "41")));
    }

    @Test
    void anotherSessionWithTheSameVersionPasses() {
        String uid = UUID.randomUUID().toString();
        OwnStatusEchoes.patched(session(uid, "77"));
        assertTrue(filter.accept(session(UUID.randomUUID().toString(), "77"), null));
        assertTrue(filter.accept(session(null, "77"), null), "no uid (the mock server may omit it): not an echo");
        assertFalse(filter.accept(session(uid, "77"), null));
    }

    @Test
    void memoryIsBounded() {
        for (int i = 0; i < OwnStatusEchoes.MAX_REMEMBERED + 10; i++) {
            OwnStatusEchoes.patched(session("bound-" + i, "1"));
        }
        assertTrue(OwnStatusEchoes.remembered() <= OwnStatusEchoes.MAX_REMEMBERED);
        assertTrue(OwnStatusEchoes.remembered() > 0);
    }
}
