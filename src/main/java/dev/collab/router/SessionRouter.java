package dev.collab.router;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.Router;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The router role: session directory, activity, proxy and collab endpoints, mounted on a Vert.x Web router.
 * Built from plain arguments so tests construct it without CDI; {@link RouterWiring} builds it in the app.
 */
public class SessionRouter implements AutoCloseable {
    /** Upstream connections per session endpoint: every open SSE stream or WebSocket holds one. */
    static final int MAX_CONNECTIONS_PER_ENDPOINT = 20_000;

    private final RouterSettings settings;
    private final RouterMetrics metrics;
    private final SessionDirectory directory;
    private final ActivityTracker activity;
    private final Vertx vertx;
    /**
     * One upstream client (and connection pool) per event-loop thread: a pooled connection then lives on the
     * event loop of the requests that use it, and no request hops threads.
     */
    private final Map<Thread, HttpClient> httpClients = new ConcurrentHashMap<>();

    private final ProxyHandler proxy;
    private final SessionApi api;
    private final AccountsApi accounts;

    public SessionRouter(
            Vertx vertx, KubernetesClient client, RouterSettings settings, MeterRegistry registry, Clock clock) {
        this.settings = settings;
        this.metrics = new RouterMetrics(registry);
        this.directory = new SessionDirectory(client, settings);
        this.activity = new ActivityTracker(vertx, client, settings, clock, metrics);
        this.vertx = vertx;
        directory.onRemoved(cs -> activity.forget(
                cs.getMetadata().getNamespace(), cs.getMetadata().getName()));
        SessionLookup sessions = new SessionLookup(directory);
        this.proxy = new ProxyHandler(
                vertx,
                this::httpClient,
                sessions,
                activity,
                settings,
                metrics,
                RouteTable.opencode(),
                List.of(new SecretRedaction()));
        this.api = new SessionApi(vertx, client, sessions, settings, metrics);
        this.accounts = new AccountsApi(vertx, client, sessions, settings.login(), clock);
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
                        new PoolOptions().setHttp1MaxSize(MAX_CONNECTIONS_PER_ENDPOINT)));
    }

    /** Starts the informers (non-blocking; {@link #ready()} says when they have synced). */
    public SessionRouter start() {
        directory.start();
        return this;
    }

    public void mount(Router router) {
        if (settings.sessionDomain() != null) {
            // before every other route: a session's host serves that session at its root
            router.route().order(-1_000).handler(new HostRouting(settings.sessionDomain(), proxy));
        }
        router.route("/s/:session/*").handler(proxy);
        router.route("/s/:session").handler(proxy);
        api.mount(router);
        accounts.mount(router, new ApiRoutes(metrics));
    }

    public boolean ready() {
        return directory.synced();
    }

    public SessionDirectory directory() {
        return directory;
    }

    public RouterMetrics metrics() {
        return metrics;
    }

    public RouterSettings settings() {
        return settings;
    }

    @Override
    public void close() {
        directory.close();
        activity.close();
        httpClients.values().forEach(HttpClient::close);
        httpClients.clear();
    }
}
