package dev.collab.gateway;

import dev.collab.api.SecretWrites;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.net.NetClientOptions;
import io.vertx.ext.web.Router;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

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
    private final EgressProxy egress;
    private final EgressDeps egressDeps;
    private volatile HttpServer egressServer;
    /** One upstream client (and connection pool) per event-loop thread, as in the router: no request hops threads. */
    private final Map<Thread, HttpClient> httpClients = new ConcurrentHashMap<>();

    public CredentialGateway(
            Vertx vertx, KubernetesClient client, GatewaySettings settings, MeterRegistry registry, Clock clock) {
        this.vertx = vertx;
        this.directory = new GatewayDirectory(client, settings);
        this.metrics = new GatewayMetrics(registry);
        SecretWrites secrets = new SecretWrites(client);
        PoolStateWriter poolState = new PoolStateWriter(directory, secrets, clock);
        this.ledger = new UsageLedger(client, directory, metrics, settings.prices(), clock, poolState::flush);
        GatewayEvents events = new GatewayEvents(client, directory, clock);
        OAuthRefresher refresher = new OAuthRefresher(secrets, settings.oauth(), events, metrics, clock);
        Budgets budgets = new Budgets(settings.pools(), settings.egress().dailyBytes());
        ProxyDeps deps = new ProxyDeps(
                vertx,
                this::httpClient,
                ledger,
                metrics,
                settings,
                new AccountTokens(vertx, refresher),
                budgets,
                clock);
        this.proxy = new GatewayProxy(deps, directory, events);
        int idleSeconds = (int) Math.max(1, settings.egress().idleTimeout().toSeconds());
        this.egressDeps = new EgressDeps(
                vertx,
                directory,
                settings,
                new EgressMetrics(registry),
                ledger,
                budgets,
                events,
                vertx.createNetClient(new NetClientOptions()
                        .setConnectTimeout(10_000)
                        .setTcpNoDelay(true)
                        .setIdleTimeout(idleSeconds)),
                // no keep-alive: a pooled connection would carry one session's request after another's
                vertx.createHttpClient(new HttpClientOptions()
                        .setKeepAlive(false)
                        .setConnectTimeout(10_000)
                        .setDecompressionSupported(false)),
                clock);
        this.egress = new EgressProxy(egressDeps);
        ledger.start(settings.usageFlushInterval());
    }

    private HttpClient httpClient() {
        HttpClient known = httpClients.get(Thread.currentThread()); // first: computeIfAbsent allocates its lambda
        if (known != null) {
            return known;
        }
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
        GatewaySettings.Egress e = egressDeps.settings().egress();
        try {
            egressServer = vertx.createHttpServer(new HttpServerOptions()
                            .setHost(e.bindHost())
                            .setPort(e.port())
                            .setTcpNoDelay(true)
                            .setIdleTimeout((int) Math.max(1, e.idleTimeout().toSeconds())))
                    .requestHandler(egress)
                    .listen()
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
        } catch (Exception ex) {
            throw new IllegalStateException(
                    "the egress proxy cannot listen on " + e.bindHost() + ":" + e.port()
                            + " (collab.gateway.egress.port)",
                    ex);
        }
        return this;
    }

    /** The port the egress proxy listens on (the configured one, or the free port taken for 0). */
    public int egressPort() {
        HttpServer server = egressServer;
        return server == null ? -1 : server.actualPort();
    }

    /** Egress connections open now (tests wait for them to close). */
    public int openEgress() {
        return egressDeps.metrics().openNow();
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
        HttpServer server = egressServer;
        if (server != null) {
            server.close();
        }
        egressDeps.net().close();
        egressDeps.http().close();
        httpClients.values().forEach(HttpClient::close);
        httpClients.clear();
    }
}
