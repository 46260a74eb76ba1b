package dev.collab.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.collab.api.CollabLabels;
import dev.collab.api.CredentialKey;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** examples/: a CollabSession and its credential Secret that fit the CRD and the kustomize base. */
class ExamplesTest {

    @Test
    @SuppressWarnings("unchecked")
    void exampleSessionFitsCrdAndBase() {
        List<HasMetadata> objects =
                Manifests.parse(Manifests.read(Manifests.ROOT.resolve("examples/collabsession.yaml")));
        HasMetadata session = objects.stream()
                .filter(o -> "CollabSession".equals(o.getKind()))
                .findFirst()
                .orElseThrow();
        Map<String, Object> sessionMap = Serialization.jsonMapper().convertValue(session, Map.class);
        assertEquals("collab.dev/v1alpha1", sessionMap.get("apiVersion"));
        Map<String, Object> spec = (Map<String, Object>) sessionMap.get("spec");

        // Only fields the CRD knows, and the required ones.
        CustomResourceDefinition crd = (CustomResourceDefinition)
                Manifests.parse(Manifests.read(Manifests.CRDS.resolve("collabsessions.collab.dev-v1.yml")))
                        .get(0);
        JSONSchemaProps specSchema = crd.getSpec()
                .getVersions()
                .get(0)
                .getSchema()
                .getOpenAPIV3Schema()
                .getProperties()
                .get("spec");
        assertTrue(
                specSchema.getProperties().keySet().containsAll(spec.keySet()),
                "unknown spec fields: " + spec.keySet());
        assertTrue(
                spec.keySet().containsAll(specSchema.getRequired()),
                "required spec fields: " + specSchema.getRequired());
        assertFalse(String.valueOf(spec.get("owner")).isBlank());

        // The referenced Secret is in the example, same namespace, with known keys only.
        String secretName = (String) ((Map<String, Object>) spec.get("credentials")).get("secretName");
        Secret secret =
                Manifests.get(objects, Secret.class, session.getMetadata().getNamespace(), secretName);
        Set<String> keys = new HashSet<>();
        if (secret.getData() != null) {
            keys.addAll(secret.getData().keySet());
        }
        if (secret.getStringData() != null) {
            keys.addAll(secret.getStringData().keySet());
            secret.getStringData().forEach((k, v) -> {
                assertTrue(
                        v.contains("PLACEHOLDER") || !v.matches("(?s).*(sk-ant-|\"accessToken\"\\s*:\\s*\"[^P]).*"),
                        k + ": placeholder values only");
                Serialization.unmarshal(v, Map.class); // every key holds JSON
            });
        }
        assertFalse(keys.isEmpty());
        // Opted in for the session's owner, or the operator would refuse it (SecretNotFound / SecretOwnerMismatch).
        String owner = (String) spec.get("owner");
        assertEquals(
                CollabLabels.credentialSecretLabels(owner).get(CollabLabels.CREDENTIALS),
                secret.getMetadata().getLabels().get(CollabLabels.CREDENTIALS));
        assertEquals(
                CollabLabels.ownerLabelValue(owner),
                secret.getMetadata().getLabels().get(CollabLabels.OWNER));
        for (String key : keys) {
            assertTrue(CredentialKey.fromSecretKey(key).isPresent(), key + " is not a credential key");
        }

        // It lands in the namespace the kustomize base watches.
        assertEquals("collab", session.getMetadata().getNamespace());
    }
}
