package dev.collab.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.collab.api.AccessSecrets;
import dev.collab.api.CollabLabels;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ManagedFieldsFreeStoreTest {
    @Test
    void objectsAreCachedByNamespaceAndNameWithoutTheirManagedFields() {
        Secret secret = new SecretBuilder()
                .withNewMetadata()
                .withNamespace("collab")
                .withName("a-access")
                .withLabels(Map.of("k", "v"))
                .withManagedFields(new ManagedFieldsEntryBuilder()
                        .withManager("collab-operator")
                        .withOperation("Update")
                        .build())
                .endMetadata()
                .withStringData(Map.of("token", "t"))
                .build();
        ManagedFieldsFreeStore<Secret> store = new ManagedFieldsFreeStore<>();
        String key = store.getKey(secret);
        store.put(key, secret);

        assertThat(key).isEqualTo("collab/a-access");
        Secret cached = store.get(key);
        assertThat(cached.getMetadata().getManagedFields()).isNullOrEmpty();
        assertThat(cached.getMetadata().getLabels()).containsEntry("k", "v");
        assertThat(cached.getStringData()).containsEntry("token", "t");
    }

    @Test
    void accessSecretsAreCachedWithTheServerPasswordButNotTheToken() {
        Secret secret = new SecretBuilder()
                .withNewMetadata()
                .withNamespace("collab")
                .withName("a-access")
                .withLabels(Map.of("k", "v"))
                .endMetadata()
                .withData(AccessSecrets.sessionData("the-token", "the-password"))
                .build();
        TokenFreeAccessSecretStore store = new TokenFreeAccessSecretStore();
        store.put(store.getKey(secret), secret);

        Secret cached = store.get("collab/a-access");
        assertThat(cached.getMetadata().getLabels()).containsEntry("k", "v");
        assertThat(cached.getData()).doesNotContainKey(CollabLabels.ACCESS_TOKEN_KEY);
        assertThat(AccessSecrets.serverPassword(cached)).isEqualTo("the-password");
    }
}
