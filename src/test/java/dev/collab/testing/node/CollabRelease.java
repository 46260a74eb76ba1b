package dev.collab.testing.node;

import com.marcnuri.helm.Helm;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The project's Helm chart installed on the test node as a platform team would, with the images built here: release
 * {@code collab} in {@code collab-system}, sessions in {@code collab}, both namespaces Pod Security "restricted" (the
 * chart's own Namespace objects). Values that differ from the chart's defaults, and why: images never pulled (they
 * are imported), one router and gateway replica and small session requests (a 2-core node; the operator, router and gateway keep
 * the chart's CPU requests, which give them their CPU share while 50 sessions start), the gateway's upstream
 * is the fake provider on the host, and a known admin token.
 */
public final class CollabRelease {
    public static final String NAME = "collab";
    public static final String SYSTEM = "collab-system";
    public static final String SESSIONS = "collab";
    public static final String ADMIN_TOKEN = "node-tier-admin-token-0123456789abcdef";
    static final Path CHART = Path.of("charts/collab-session-operator");

    private CollabRelease() {}

    /** The values of the tier, for {@code appImage} (the operator, router and gateway image). */
    public static Map<String, Object> values(NodeCluster cluster, String appImage, String providerUrl) {
        int colon = appImage.lastIndexOf(':');
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("image.repository", appImage.substring(0, colon));
        values.put("image.tag", appImage.substring(colon + 1));
        values.put("image.pullPolicy", "Never");
        values.put("watchNamespaces[0]", SESSIONS);
        values.put("router.replicas", 1);
        values.put("router.adminToken.value", ADMIN_TOKEN);
        values.put("gateway.replicas", 1);
        values.put("gateway.upstream", providerUrl);
        values.put("session.image", cluster.images().session());
        values.put("session.resources.requests.cpu", "10m");
        values.put("session.resources.requests.memory", "64Mi");
        values.put("session.storage.className", "local");
        return values;
    }

    /** {@code helm install --create-namespace --wait}. */
    public static void install(NodeCluster cluster, Map<String, Object> values) {
        var install = new Helm(CHART)
                .install()
                .withName(NAME)
                .withNamespace(SYSTEM)
                .createNamespace()
                .withKubeConfig(cluster.plane().kubeconfig())
                .waitReady()
                .withTimeout(300);
        values.forEach(install::set);
        install.call();
    }

    /** {@code helm upgrade --wait}. */
    public static void upgrade(NodeCluster cluster, Map<String, Object> values) {
        var upgrade = new Helm(CHART)
                .upgrade()
                .withName(NAME)
                .withNamespace(SYSTEM)
                .withKubeConfig(cluster.plane().kubeconfig())
                .waitReady()
                .withTimeout(300);
        values.forEach(upgrade::set);
        upgrade.call();
    }
}
