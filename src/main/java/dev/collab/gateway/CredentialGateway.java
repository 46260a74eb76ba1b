package dev.collab.gateway;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.Router;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The gateway role: directory, usage ledger, account pools (state, OAuth refresh, budgets) and proxy, mounted at {@code /v1/*} of a Vert.x Web router. Built from
 * plain arguments so tests construct it without CDI; {@link GatewayWiring} builds it in the app.
 */
public class CredentialGateway implements AutoCloseable {
    private final Vertx vertx;
    private final GatewayDirectory directory;
    private final GatewayMetrics metrics;
    private final UsageLedger ledger;
    private final GatewayProxy proxy;
    /** One upstream client (and connection pool) per event-loop thread, as in the router: no request hops threads. */
    private final Map<Thread, HttpClient> httpClients = new ConcurrentHashMap<>();

    public CredentialGateway(
            Vertx vertx, KubernetesClient client, GatewaySettings settings, MeterRegistry registry, Clock clock) {
        this.vertx = vertx;
        this.directory = new GatewayDirectory(client, settings);
        this.metrics = new GatewayMetrics(registry);
        SecretWrites secrets = new SecretWrites(client);
        PoolStateWriter poolState = new PoolStateWriter(directory, secrets, clock);
        this.ledger = new UsageLedger(client, directory, metrics, clock, poolState::flush);
        GatewayEvents events = new GatewayEvents(client, directory, clock);
        OAuthRefresher refresher = new OAuthRefresher(secrets, settings.oauth(), events, metrics, clock);
        ProxyDeps deps = new ProxyDeps(
                vertx,
                this::httpClient,
                ledger,
                metrics,
                settings,
                new AccountTokens(vertx, refresher),
                new Budgets(settings.pools()),
                clock);
        this.proxy = new GatewayProxy(deps, directory, events);
        ledger.start(settings.usageFlushInterval());
    }

    private HttpClient httpClient() {
        return httpClients.computeIfAbsent(
                Thread.currentThread(),
                t -> vertx.createHttpClient(
                        new HttpClientOptions()
                                .setKeepAlive(true)
                                .setTcpNoDelay(true)
                                .setConnectTimeout(10_000)
                                .setKeepAliveTimeout(60)
                                .setDecompressionSupported(false),
                        new PoolOptions().setHttp1MaxSize(1_000)));
    }

    public CredentialGateway start() {
        directory.start();
        return this;
    }

    public void mount(Router router) {
        router.route("/v1/*").handler(proxy);
    }

    public boolean ready() {
        return directory.synced();
    }

    public int gatewaySessions() {
        return directory.gatewaySessions();
    }

    public int openRequests() {
        return metrics.open();
    }

    /** Writes pending usage now (tests; shutdown does it too). */
    public void flushUsage() {
        ledger.flush();
    }

    @Override
    public void close() {
        ledger.close();
        directory.close();
        httpClients.values().forEach(HttpClient::close);
        httpClients.clear();
    }
}
