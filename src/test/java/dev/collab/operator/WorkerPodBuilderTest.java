package dev.collab.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.testing.Specs;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class WorkerPodBuilderTest {
    private final OperatorSettings settings = OperatorSettings.defaults();

    @Test
    void podRunsUnderRestrictedPodSecurityWithoutServiceAccountToken() {
        Pod pod = build(session("s1"), creds(Map.of("auth.json", "{}")));
        var spec = pod.getSpec();
        assertThat(spec.getAutomountServiceAccountToken()).isFalse();
        assertThat(spec.getEnableServiceLinks()).isFalse();
        assertThat(spec.getRestartPolicy()).isEqualTo("Always");
        assertThat(spec.getTerminationGracePeriodSeconds()).isEqualTo(15);
        assertThat(spec.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(spec.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        for (Container c : Stream.concat(spec.getInitContainers().stream(), spec.getContainers().stream())
                .toList()) {
            assertThat(c.getSecurityContext().getAllowPrivilegeEscalation())
                    .as(c.getName())
                    .isFalse();
            assertThat(c.getSecurityContext().getReadOnlyRootFilesystem())
                    .as(c.getName())
                    .isTrue();
            assertThat(c.getSecurityContext().getCapabilities().getDrop())
                    .as(c.getName())
                    .containsExactly("ALL");
            assertThat(c.getVolumeMounts())
                    .as(c.getName())
                    .anyMatch(m -> m.getMountPath().equals("/tmp"));
        }
        assertThat(spec.getVolumes())
                .anyMatch(v -> v.getEmptyDir() != null && v.getName().equals("tmp"));
    }

    @Test
    void opencodeServesOnTheConfiguredPortWithHomeOnTheClaimAndAnHttpProbe() {
        Pod pod = build(session("s1"), creds(Map.of("auth.json", "{}")));
        Container main = pod.getSpec().getContainers().get(0);
        assertThat(main.getCommand()).containsExactly("opencode", "serve", "--hostname", "0.0.0.0", "--port", "4096");
        assertThat(main.getWorkingDir()).isEqualTo("/home/collab/workspace");
        // only an attached request handler answers this page (a tcpSocket probe passes before it is attached)
        assertThat(main.getReadinessProbe().getTcpSocket()).isNull();
        assertThat(main.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/site.webmanifest");
        assertThat(main.getReadinessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("http");
        assertThat(main.getReadinessProbe().getHttpGet().getHttpHeaders())
                .as("no password in the pod spec")
                .isNullOrEmpty();
        assertThat(main.getPorts()).anyMatch(p -> p.getName().equals("http") && p.getContainerPort() == 4096);
        assertThat(main.getReadinessProbe().getTimeoutSeconds()).isGreaterThan(1);
        assertThat(env(main, "HOME")).isEqualTo("/home/collab");
        assertThat(main.getResources().getLimits()).containsEntry("memory", new Quantity("1Gi"));
        assertThat(pod.getSpec().getVolumes())
                .anyMatch(v -> v.getPersistentVolumeClaim() != null
                        && v.getPersistentVolumeClaim().getClaimName().equals("s1-home"));
        Container seed = pod.getSpec().getInitContainers().get(0);
        assertThat(seed.getName()).isEqualTo("seed-home");
        assertThat(seed.getCommand()).startsWith("sh", "-c");
        assertThat(env(seed, "COLLAB_CREDENTIALS_DIR")).isEqualTo("/var/run/collab/credentials");
    }

    @Test
    void specEnvImageAndResourcesOverrideDefaults() {
        CollabSession s = session("s1");
        s.getSpec().setImage("registry.example/opencode:custom");
        s.getSpec().setEnv(List.of(new EnvVar("ANTHROPIC_BASE_URL", "http://proxy/v1", null)));
        s.getSpec()
                .setResources(new ResourceRequirementsBuilder()
                        .addToLimits("memory", new Quantity("2Gi"))
                        .build());
        Container main = build(s, creds(Map.of("auth.json", "{}")))
                .getSpec()
                .getContainers()
                .get(0);
        assertThat(main.getImage()).isEqualTo("registry.example/opencode:custom");
        assertThat(env(main, "ANTHROPIC_BASE_URL")).isEqualTo("http://proxy/v1");
        assertThat(main.getResources().getLimits())
                .containsOnlyKeys("memory")
                .containsEntry("memory", new Quantity("2Gi"));
    }

    @Test
    void specHashChangesWithCredentialsAndSpecButNotOtherwise() {
        CollabSession s = session("s1");
        String a = hash(build(s, creds(Map.of("auth.json", "{\"k\":1}"))));
        assertThat(hash(build(s, creds(Map.of("auth.json", "{\"k\":1}"))))).isEqualTo(a);
        assertThat(hash(build(s, creds(Map.of("auth.json", "{\"k\":2}"))))).isNotEqualTo(a);
        s.getSpec().setImage("other:1");
        assertThat(hash(build(s, creds(Map.of("auth.json", "{\"k\":1}"))))).isNotEqualTo(a);
    }

    @Test
    void onlyKnownKeysOfTheSessionsOwnSecretAreMounted() {
        Pod pod = build(session("s1"), creds(Map.of("auth.json", "{}", "opencode.json", "{}", "other", "x")));
        assertThat(WorkerPodBuilder.mountedCredentialKeys(pod)).containsExactlyInAnyOrder("auth.json", "opencode.json");
        assertThat(pod.getSpec().getVolumes())
                .filteredOn(v -> v.getSecret() != null)
                .singleElement()
                .satisfies(v -> assertThat(v.getSecret().getItems()).hasSize(2));
    }

    static CollabSession session(String name) {
        CollabSession s = new CollabSession("ns", name, Specs.seeded("alice", name + "-creds"));
        s.getMetadata().setUid("uid-" + name);
        return s;
    }

    static CredentialsState creds(Map<String, String> files) {
        var secret = new SecretBuilder()
                .withNewMetadata()
                .withName("c")
                .withLabels(CollabLabels.credentialSecretLabels("alice"))
                .endMetadata()
                .build();
        files.forEach((k, v) ->
                secret.getData().put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
        return CredentialsState.of("c", secret, "alice");
    }

    private Pod build(CollabSession s, CredentialsState c) {
        return WorkerPodBuilder.desired(s, settings, c);
    }

    private static String hash(Pod pod) {
        return pod.getMetadata().getAnnotations().get(CollabLabels.SPEC_HASH);
    }

    private static String env(Container c, String name) {
        return c.getEnv().stream()
                .filter(e -> e.getName().equals(name))
                .findFirst()
                .map(EnvVar::getValue)
                .orElse(null);
    }
}
