package dev.collab.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/** One collaborative coding session: a dedicated opencode worker billed to its owner. */
@Group(CollabSession.GROUP)
@Version(CollabSession.VERSION)
@Kind(CollabSession.KIND)
@Plural(CollabSession.PLURAL)
@Singular("collabsession")
@ShortNames("collab")
@Categories("collab")
@AdditionalPrinterColumn(name = "Owner", jsonPath = ".spec.owner", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
        name = "Ready",
        jsonPath = ".status.conditions[?(@.type==\"Ready\")].status",
        type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
        name = "Reason",
        jsonPath = ".status.stoppedReason",
        type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
        name = "Last-Activity",
        jsonPath = ".status.lastActivityTime",
        type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(
        name = "Requests",
        jsonPath = ".status.usage.requests",
        type = AdditionalPrinterColumn.Type.INTEGER,
        priority = 1)
@AdditionalPrinterColumn(
        name = "Output-Tokens",
        jsonPath = ".status.usage.outputTokens",
        type = AdditionalPrinterColumn.Type.INTEGER,
        priority = 1)
@AdditionalPrinterColumn(
        name = "Cost-USD",
        jsonPath = ".status.usage.costUSD",
        type = AdditionalPrinterColumn.Type.NUMBER,
        priority = 1)
@AdditionalPrinterColumn(
        name = "Age",
        jsonPath = ".metadata.creationTimestamp",
        type = AdditionalPrinterColumn.Type.DATE)
@ValidationRule(
        value = "self.metadata.name.size() <= 63",
        message =
                "metadata.name must be at most 63 characters: it is the collab.dev/session label value of the session's pod, volume claim and Secrets")
public class CollabSession extends CustomResource<CollabSessionSpec, CollabSessionStatus> implements Namespaced {
    public static final String GROUP = "collab.dev";
    public static final String VERSION = "v1alpha1";
    public static final String API_VERSION = GROUP + "/" + VERSION;
    public static final String KIND = "CollabSession";
    public static final String PLURAL = "collabsessions";

    public CollabSession() {}

    public CollabSession(String namespace, String name, CollabSessionSpec spec) {
        getMetadata().setNamespace(namespace);
        getMetadata().setName(name);
        setSpec(spec);
    }

    /** Required in the CRD; the operator still answers a missing spec with condition Ready=False, MissingSpec. */
    @Override
    @Required
    @JsonPropertyDescription("What the session runs: owner, credentials, image, idle timeout, storage, resources, env.")
    public CollabSessionSpec getSpec() {
        return super.getSpec();
    }

    /** The resource as a client without the generated CRD sees it (mock and embedded API servers). */
    public static CustomResourceDefinitionContext crdContext() {
        return new CustomResourceDefinitionContext.Builder()
                .withGroup(GROUP)
                .withVersion(VERSION)
                .withKind(KIND)
                .withPlural(PLURAL)
                .withScope("Namespaced")
                .withStatusSubresource(true)
                .build();
    }
}
