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
        return new CollabSessionPool("collab", "default", dev.collab.testing.Specs.seededPool(2));
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
    void aSessionClaimsOnlyFromAPoolOfItsCredentialsMode() {
        CollabSession gateway = session();
        gateway.getSpec().getCredentials().setMode(CredentialsMode.Gateway);
        assertEquals(
                Optional.of("it runs in Gateway credentials mode, the pool's workers in Seeded"),
                PoolMatch.mismatch(gateway, pool(), AUTH_ONLY, true, SETTINGS));

        CollabSessionPool gatewayPool = new CollabSessionPool("collab", "default", new CollabSessionPoolSpec(2));
        // the template names no mode: the operator's default (Gateway) applies, to the pool and to the session
        assertEquals(Optional.empty(), PoolMatch.mismatch(gateway, gatewayPool, AUTH_ONLY, true, SETTINGS));
        CollabSession unset = session();
        unset.getSpec().getCredentials().setMode(null);
        assertEquals(Optional.empty(), PoolMatch.mismatch(unset, gatewayPool, AUTH_ONLY, true, SETTINGS));
        assertEquals(
                Optional.of("it runs in Seeded credentials mode, the pool's workers in Gateway"),
                PoolMatch.mismatch(session(), gatewayPool, AUTH_ONLY, SETTINGS));
    }

    @Test
    void aGatewaySessionClaimsOnlyWhenItsPlaceholderFilesAreAWarmWorkers() {
        CollabSession gateway = session();
        gateway.getSpec().getCredentials().setMode(CredentialsMode.Gateway);
        CollabSessionPool gatewayPool = new CollabSessionPool("collab", "default", new CollabSessionPoolSpec(2));
        assertTrue(PoolMatch.mismatch(gateway, gatewayPool, AUTH_ONLY, false, SETTINGS)
                .orElseThrow()
                .contains("other placeholder files than a warm worker's"));
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
