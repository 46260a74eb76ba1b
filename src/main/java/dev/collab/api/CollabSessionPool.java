package dev.collab.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * Warm workers for new sessions (docs/DESIGN.md section 9): pre-created HOME claims and pre-started opencode pods
 * that belong to no session and hold no credential until a CollabSession claims one.
 */
@Group(CollabSession.GROUP)
@Version(CollabSession.VERSION)
@Kind("CollabSessionPool")
@Plural("collabsessionpools")
@Singular("collabsessionpool")
@ShortNames("collabpool")
// No category "collab": it is CollabSession's short name, and kubectl expands a category before a short name, so
// `kubectl describe collab x` or `kubectl wait ... collab/x` would name two resources.
@AdditionalPrinterColumn(name = "Desired", jsonPath = ".spec.replicas", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Warm", jsonPath = ".status.replicas", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.ready", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Claimed", jsonPath = ".status.claimed", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
        name = "Age",
        jsonPath = ".metadata.creationTimestamp",
        type = AdditionalPrinterColumn.Type.DATE)
@ValidationRule(
        value = "self.metadata.name.size() <= " + CollabSessionPool.MAX_NAME_LENGTH,
        message = "metadata.name must be at most " + CollabSessionPool.MAX_NAME_LENGTH
                + " characters: warm workers are named <pool>-<5 characters>, and a worker's name must stay a valid"
                + " 63-character DNS label (pod hostname, label value once a session claims it)")
public class CollabSessionPool extends CustomResource<CollabSessionPoolSpec, CollabSessionPoolStatus>
        implements Namespaced {
    /** The pool a session without spec.poolRef claims from: the one of this name in its namespace. */
    public static final String DEFAULT_POOL = "default";

    /** 63 (a DNS label) minus the "-xxxxx" suffix of a worker's name. */
    public static final int MAX_NAME_LENGTH = 57;

    public static final String KIND = "CollabSessionPool";
    public static final String PLURAL = "collabsessionpools";

    public CollabSessionPool() {}

    public CollabSessionPool(String namespace, String name, CollabSessionPoolSpec spec) {
        getMetadata().setNamespace(namespace);
        getMetadata().setName(name);
        setSpec(spec);
    }

    /** For the Fabric8 mock server and the embedded API of local mode. */
    public static io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext crdContext() {
        return new io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext.Builder()
                .withGroup(CollabSession.GROUP)
                .withVersion(CollabSession.VERSION)
                .withKind(KIND)
                .withPlural(PLURAL)
                .withScope("Namespaced")
                .withStatusSubresource(true)
                .build();
    }
}
