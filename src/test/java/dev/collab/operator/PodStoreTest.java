package dev.collab.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The reduced pod cache drops the spec but keeps everything the reconcile reads from a pod. */
class PodStoreTest {

    @Test
    void keepsWhatPodViewReadsAndDropsTheSpec() {
        Pod pod = WorkerPodBuilder.desired(
                WorkerPodBuilderTest.session("alice"),
                OperatorSettings.defaults(),
                WorkerPodBuilderTest.creds(Map.of("auth.json", "{}")));
        pod.getMetadata().setResourceVersion("7");
        pod.getMetadata().setCreationTimestamp("2026-11-23T10:00:00Z");
        pod.getMetadata().setDeletionTimestamp("2026-11-23T10:05:00Z");
        pod.getMetadata().getAnnotations().put("collab.dev/endpoint-port", "5000");
        pod.setStatus(new PodStatusBuilder()
                .withPhase("Running")
                .withPodIP("10.0.0.9")
                .withStartTime("2026-11-23T10:00:02Z")
                .withConditions(new PodConditionBuilder()
                        .withType("Ready")
                        .withStatus("True")
                        .build())
                .withContainerStatuses(new ContainerStatusBuilder()
                        .withName(WorkerPodBuilder.CONTAINER)
                        .withRestartCount(2)
                        .build())
                .build());

        var store = SessionInformers.podStore(new KubernetesSerialization());
        store.put(store.getKey(pod), pod);
        Pod cached = store.get(store.getKey(pod));

        assertThat(PodView.of(cached, 4096)).isEqualTo(PodView.of(pod, 4096));
        assertThat(cached.getMetadata().getLabels()).isEqualTo(pod.getMetadata().getLabels());
        assertThat(cached.getMetadata().getResourceVersion()).isEqualTo("7");
        assertThat(Children.sessionOf(cached)).isEqualTo(Children.sessionOf(pod));
        assertThat(cached.getSpec()).isNull();
    }
}
