package dev.collab.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.api.Test;

class InternedStringsTest {
    private static final String LONG = "x".repeat(InternedStrings.MAX_LENGTH + 1);

    private static String secret(String name) {
        return """
                {"apiVersion":"v1","kind":"Secret","type":"Opaque",
                 "metadata":{"name":"%s","namespace":"collab","labels":{"collab.dev/session":"s-1"},
                  "ownerReferences":[{"apiVersion":"collab.dev/v1alpha1","kind":"CollabSession","name":"s-1",
                   "uid":"2b7e1516-28ae-4d2a-abf7-158809cf4f3c","controller":true}]},
                 "data":{"big":"%s"}}""".formatted(name, LONG);
    }

    @Test
    void equalShortValuesOfTwoDecodedObjectsAreOneInstanceAndLongOnesAreNot() {
        ObjectMapper mapper = new ObjectMapper();
        new InternedStrings().customize(mapper);
        KubernetesSerialization serialization = new KubernetesSerialization(mapper, true);

        Secret a = serialization.unmarshal(secret("s-1-access"), Secret.class);
        Secret b = serialization.unmarshal(secret("s-1-gateway-home"), Secret.class);

        assertThat(a.getMetadata().getNamespace()).isSameAs(b.getMetadata().getNamespace());
        assertThat(a.getMetadata().getLabels().get("collab.dev/session"))
                .isSameAs(b.getMetadata().getOwnerReferences().get(0).getName());
        assertThat(a.getMetadata().getOwnerReferences().get(0).getUid())
                .isSameAs(b.getMetadata().getOwnerReferences().get(0).getUid());
        assertThat(a.getType()).isSameAs(b.getType());
        assertThat(a.getData().get("big"))
                .isEqualTo(b.getData().get("big"))
                .isNotSameAs(b.getData().get("big"));
    }

    @Test
    void withoutTheModuleEqualValuesAreSeparateCopies() {
        // the reference: shows the test above would fail if decoding did not intern
        KubernetesSerialization plain = new KubernetesSerialization(new ObjectMapper(), true);
        Secret a = plain.unmarshal(secret("s-1-access"), Secret.class);
        Secret b = plain.unmarshal(secret("s-1-gateway-home"), Secret.class);
        assertThat(a.getMetadata().getNamespace()).isEqualTo(b.getMetadata().getNamespace());
        assertThat(a.getMetadata().getNamespace()).isNotSameAs(b.getMetadata().getNamespace());
    }
}
