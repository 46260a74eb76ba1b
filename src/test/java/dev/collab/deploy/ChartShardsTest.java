package dev.collab.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.collab.config.OperatorShard;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** operator.shards of the chart (DEPLOYMENT.md, "Sharding"): Deployments, shard env and Lease rights per shard. */
class ChartShardsTest {
    static final String NS = ChartTest.RELEASE_NAMESPACE;

    static List<HasMetadata> render(int shards) {
        return Manifests.parse(ChartTest.chart()
                .template()
                .withName("collab")
                .withNamespace(NS)
                .set("operator.shards", shards)
                .call());
    }

    @Test
    void oneShardIsTheSingleOperatorOfBefore() {
        List<HasMetadata> objects = render(1);
        assertThat(operators(objects))
                .extracting(d -> d.getMetadata().getName())
                .containsExactly("collab-operator");
        Map<String, String> env = DeployInvariants.env(DeployInvariants.container(objects, NS, "collab-operator"));
        assertThat(env).doesNotContainKeys("COLLAB_OPERATOR_SHARDS", "COLLAB_OPERATOR_SHARD");
        assertThat(operators(objects).get(0).getSpec().getSelector().getMatchLabels())
                .containsOnly(Map.entry("app.kubernetes.io/name", "collab-operator"));
        assertThat(leaseNames(objects)).containsExactly(OperatorShard.SINGLE.leaseName());
    }

    @Test
    void twoShardsAreTwoDeploymentsEachWithItsShardAndLease() {
        List<HasMetadata> objects = render(2);
        assertThat(operators(objects))
                .extracting(d -> d.getMetadata().getName())
                .containsExactlyInAnyOrder("collab-operator-shard-0", "collab-operator-shard-1");
        for (int k = 0; k < 2; k++) {
            String name = "collab-operator-shard-" + k;
            Map<String, String> env = DeployInvariants.env(DeployInvariants.container(objects, NS, name));
            assertThat(env)
                    .containsEntry("COLLAB_OPERATOR_SHARDS", "2")
                    .containsEntry("COLLAB_OPERATOR_SHARD", Integer.toString(k))
                    .containsEntry("COLLAB_ROLE", "operator");
            Deployment d = Manifests.get(objects, Deployment.class, NS, name);
            // selectors of the shards' Deployments must not overlap
            assertThat(d.getSpec().getSelector().getMatchLabels())
                    .containsEntry("collab.dev/shard", Integer.toString(k));
            assertThat(d.getSpec().getTemplate().getMetadata().getLabels())
                    .containsEntry("collab.dev/shard", Integer.toString(k));
            assertThat(d.getSpec().getReplicas()).isEqualTo(2);
        }
        assertThat(leaseNames(objects))
                .containsExactlyElementsOf(IntStream.range(0, 2)
                        .mapToObj(k -> OperatorShard.of(k, 2).leaseName())
                        .toList());
    }

    static List<Deployment> operators(List<HasMetadata> objects) {
        return Manifests.all(objects, Deployment.class).stream()
                .filter(d -> d.getMetadata().getName().startsWith("collab-operator"))
                .toList();
    }

    /** The Lease names the operator may get/update/patch. */
    static List<String> leaseNames(List<HasMetadata> objects) {
        Role role = Manifests.get(objects, Role.class, NS, "collab-operator-leader-election");
        return role.getRules().stream()
                .filter(r -> r.getResources().contains("leases") && r.getVerbs().contains("update"))
                .map(PolicyRule::getResourceNames)
                .flatMap(List::stream)
                .toList();
    }
}
