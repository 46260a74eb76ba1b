package dev.collab.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionPool;
import dev.collab.api.CollabSessionPoolSpec;
import dev.collab.api.CredentialKey;
import dev.collab.api.CredentialsMode;
import dev.collab.api.StorageSpec;
import dev.collab.testing.Specs;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which new sessions may run on a pool's warm worker. */
class PoolMatchTest {
    private static final OperatorSettings SETTINGS = OperatorSettings.defaults();
    private static final CredentialsState AUTH_ONLY =
            new CredentialsState(true, "CredentialsFound", "", List.of(CredentialKey.AUTH), "sha256:x");

    private static CollabSession session() {
        return new CollabSession("collab", "s", Specs.seeded("alice", "s-creds"));
    }

    private static CollabSessionPool pool() {
        return new CollabSessionPool("collab", "default", new CollabSessionPoolSpec(2));
    }

    @Test
    void defaultsMatchDefaults() {
        assertEquals(Optional.empty(), PoolMatch.mismatch(session(), pool(), AUTH_ONLY, SETTINGS));
    }

    @Test
    void explicitValuesEqualToTheDefaultsMatch() {
        CollabSession s = session();
        s.getSpec().setImage(SETTINGS.image());
        StorageSpec storage = new StorageSpec();
        storage.setSize(new Quantity(SETTINGS.storageSize()));
        storage.setRetainOnDelete(true); // ownership is the session's business, not the worker's
        s.getSpec().setStorage(storage);
        assertEquals(Optional.empty(), PoolMatch.mismatch(s, pool(), AUTH_ONLY, SETTINGS));
    }

    @Test
    void gatewayModeSessionsNeverClaim() {
        CollabSession s = session();
        s.getSpec().getCredentials().setMode(CredentialsMode.Gateway);
        assertEquals(
                Optional.of("Gateway mode sessions start their own worker"),
                PoolMatch.mismatch(s, pool(), AUTH_ONLY, SETTINGS));

        OperatorSettings gatewayByDefault =
                SETTINGS.withGateway(GatewayLink.defaults().withDefaultMode(CredentialsMode.Gateway));
        CollabSession unset = session();
        unset.getSpec().getCredentials().setMode(null); // the default applies
        assertEquals(
                Optional.of("Gateway mode sessions start their own worker"),
                PoolMatch.mismatch(unset, pool(), AUTH_ONLY, gatewayByDefault));
        s.getSpec().getCredentials().setMode(CredentialsMode.Seeded); // the spec wins over the default
        assertEquals(Optional.empty(), PoolMatch.mismatch(s, pool(), AUTH_ONLY, gatewayByDefault));
    }

    @Test
    void poolRefOrTheDefaultPool() {
        CollabSession s = session();
        assertEquals("default", PoolMatch.poolName(s));
        s.getSpec().setPoolRef("gpu");
        assertEquals("gpu", PoolMatch.poolName(s));
    }

    @Test
    void whatARunningWorkerCannotTakeIsAMismatch() {
        CollabSession image = session();
        image.getSpec().setImage("example.org/other:1");
        assertTrue(PoolMatch.mismatch(image, pool(), AUTH_ONLY, SETTINGS)
                .orElseThrow()
                .contains("image"));

        CollabSession resources = session();
        resources
                .getSpec()
                .setResources(new ResourceRequirementsBuilder()
                        .addToLimits("memory", new Quantity("4Gi"))
                        .build());
        assertTrue(PoolMatch.mismatch(resources, pool(), AUTH_ONLY, SETTINGS)
                .orElseThrow()
                .contains("resources"));

        CollabSession storage = session();
        storage.getSpec().setStorage(new StorageSpec());
        storage.getSpec().getStorage().setStorageClassName("fast");
        assertTrue(PoolMatch.mismatch(storage, pool(), AUTH_ONLY, SETTINGS)
                .orElseThrow()
                .contains("storage"));

        CollabSession env = session();
        env.getSpec().setEnv(List.of(new EnvVar("FOO", "bar", null)));
        assertTrue(PoolMatch.mismatch(env, pool(), AUTH_ONLY, SETTINGS)
                .orElseThrow()
                .contains("env"));
    }

    @Test
    void onlyCredentialsOpencodesApiCanInstallMatch() {
        CredentialsState claude = new CredentialsState(
                true, "CredentialsFound", "", List.of(CredentialKey.CLAUDE_CREDENTIALS), "sha256:y");
        assertTrue(PoolMatch.mismatch(session(), pool(), claude, SETTINGS)
                .orElseThrow()
                .contains("auth.json"));
    }

    @Test
    void poolTemplateDecidesForItsWorkers() {
        CollabSessionPool big = pool();
        big.getSpec().getTemplate().setStorageSize(new Quantity("10Gi"));
        assertTrue(PoolMatch.mismatch(session(), big, AUTH_ONLY, SETTINGS).isPresent());
    }
}
