package dev.collab.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apiextensions.v1.ValidationRule;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The committed CRD refuses what the operator would only answer with a condition (issue 13): a missing spec, a name
 * longer than a label value, an idle timeout that does not fit. A real API server evaluates these rules (the
 * control-plane tier); here their presence and messages are checked.
 */
class CrdSchemaTest {

    @Test
    void specIsRequiredAndNamesAndIdleTimeoutsAreBounded() {
        CustomResourceDefinition crd = (CustomResourceDefinition)
                Manifests.parse(Manifests.read(Manifests.CRDS.resolve("collabsessions.collab.dev-v1.yml")))
                        .get(0);
        JSONSchemaProps root = crd.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema();
        assertTrue(root.getRequired().contains("spec"), "spec: null must be refused");

        List<ValidationRule> rootRules = root.getXKubernetesValidations();
        assertTrue(
                rootRules.stream()
                        .anyMatch(r -> r.getRule().equals("self.metadata.name.size() <= 63")
                                && r.getMessage().contains("at most 63 characters")),
                "names longer than a label value must be refused: " + rootRules);

        JSONSchemaProps idle = root.getProperties().get("spec").getProperties().get("idleTimeout");
        assertEquals(32L, idle.getMaxLength());
        assertTrue(
                idle.getXKubernetesValidations().stream()
                        .anyMatch(r -> r.getRule().contains("duration(self) <= duration('8760h')")
                                && r.getMessage().contains("at most 8760h")),
                "idle timeouts that overflow must be refused: " + idle.getXKubernetesValidations());
    }

    @Test
    void aUsdBudgetIsANumberAndNeverNegative() {
        CustomResourceDefinition crd = (CustomResourceDefinition)
                Manifests.parse(Manifests.read(Manifests.CRDS.resolve("collabsessions.collab.dev-v1.yml")))
                        .get(0);
        JSONSchemaProps root = crd.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema();
        JSONSchemaProps usd = root.getProperties()
                .get("spec")
                .getProperties()
                .get("credentials")
                .getProperties()
                .get("budget")
                .getProperties()
                .get("usd");
        assertEquals("number", usd.getType());
        assertEquals(0.0, usd.getMinimum(), "the API server refuses -1 with 'should be greater than or equal to 0'");
        JSONSchemaProps cost = root.getProperties()
                .get("status")
                .getProperties()
                .get("usage")
                .getProperties()
                .get("costUSD");
        assertEquals("number", cost.getType());
    }
}
