package dev.collab.api;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Unstarted informers of CollabSessions and of the Secrets with one label, per watched namespace (every namespace
 * when the list is empty): the router (access Secrets) and the gateway (credential Secrets) watch the same way.
 */
public final class SessionInformers {

    private SessionInformers() {}

    public static void forEachNamespace(
            KubernetesClient client,
            List<String> namespaces,
            String secretLabel,
            String secretLabelValue,
            BiConsumer<SharedIndexInformer<CollabSession>, SharedIndexInformer<Secret>> start) {
        if (namespaces.isEmpty()) {
            start.accept(
                    client.resources(CollabSession.class).inAnyNamespace().runnableInformer(0),
                    client.secrets()
                            .inAnyNamespace()
                            .withLabel(secretLabel, secretLabelValue)
                            .runnableInformer(0));
            return;
        }
        for (String ns : namespaces) {
            start.accept(
                    client.resources(CollabSession.class).inNamespace(ns).runnableInformer(0),
                    client.secrets()
                            .inNamespace(ns)
                            .withLabel(secretLabel, secretLabelValue)
                            .runnableInformer(0));
        }
    }
}
