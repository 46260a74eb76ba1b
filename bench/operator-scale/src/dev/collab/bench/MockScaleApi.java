package dev.collab.bench;

import dev.collab.api.CollabSession;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** The Fabric8 mock API server (CRUD mode, in the bench JVM) with a dispatcher that counts every request. */
final class MockScaleApi implements ScaleApi {
    private final MockWebServer web = new MockWebServer();
    private final CountingDispatcher counting;
    private final KubernetesMockServer server;
    private final KubernetesClient client;
    private final ScheduledExecutorService drain = Executors.newSingleThreadScheduledExecutor();

    MockScaleApi() {
        CustomResourceDefinitionContext crd = new CustomResourceDefinitionContext.Builder()
                .withGroup(CollabSession.GROUP)
                .withVersion(CollabSession.VERSION)
                .withKind("CollabSession")
                .withPlural("collabsessions")
                .withScope("Namespaced")
                .withStatusSubresource(true)
                .build();
        counting = new CountingDispatcher(new IndexedCrudDispatcher(List.of(crd)));
        server = new KubernetesMockServer(
                new Context(Serialization.jsonMapper()), web, new HashMap<>(), counting, false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        // The mock server queues every request it saw; drain it so a long run does not keep them all.
        drain.scheduleAtFixedRate(web::reset, 1, 1, TimeUnit.SECONDS);
        Config config = new ConfigBuilder(Config.empty())
                .withMasterUrl(url())
                .withNamespace(OperatorScaleBench.NS)
                .withUserAgent(CountingDispatcher.BENCH_AGENT + "/1.0")
                .withRequestTimeout(60_000)
                .withConnectionTimeout(10_000)
                .build();
        client = new KubernetesClientBuilder().withConfig(config).build();
    }

    private String url() {
        return "http://127.0.0.1:" + web.getPort();
    }

    @Override
    public String label() {
        return "mock";
    }

    @Override
    public KubernetesClient client() {
        return client;
    }

    @Override
    public List<String> operatorFlags() {
        return List.of(
                "-Dquarkus.kubernetes-client.api-server-url=" + url(),
                "-Dquarkus.kubernetes-client.trust-certs=true",
                "-Dquarkus.kubernetes-client.namespace=" + OperatorScaleBench.NS);
    }

    @Override
    public Map<String, String> operatorEnv() {
        return Map.of();
    }

    @Override
    public Map<String, Long> snapshot() {
        return counting.snapshot();
    }

    @Override
    public double serverCpuSeconds() {
        return -1;
    }

    @Override
    public boolean real() {
        return false;
    }

    @Override
    public void close() {
        client.close();
        drain.shutdownNow();
        server.destroy();
    }
}
