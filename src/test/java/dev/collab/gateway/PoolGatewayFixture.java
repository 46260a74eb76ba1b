package dev.collab.gateway;

import dev.collab.api.AccountPoolState;
import dev.collab.api.AccountStatus;
import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.CredentialAccounts;
import dev.collab.api.CredentialsMode;
import dev.collab.api.Placeholders;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.awaitility.Awaitility;

/**
 * Two gateway instances (replicas) against one Fabric8 mock API server (CRUD; the fixture plays the operator by
 * writing the sessions' status) and {@link ScriptedAnthropic}, a loopback fake of the Anthropic API and Claude's
 * OAuth token endpoint. Time is a settable clock: cooldowns, budgets and token expiry move only when a test moves it.
 * Each session (owner ann) has its own credential Secret {@code <session>-creds} holding accounts.json.
 */
final class PoolGatewayFixture implements AutoCloseable {
    static final String NS = "team";
    static final String OWNER = "ann@example.com";
    static final String KEY_NS = "collab-system";
    static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    final SettableClock clock = new SettableClock(Instant.parse("2026-11-30T10:00:00Z"));
    final KubernetesClient client;
    final Vertx vertx = Vertx.vertx();
    ScriptedAnthropic provider;
    private final List<CredentialGateway> gateways = new ArrayList<>();
    /** Each replica's meters, by replica index. */
    final List<SimpleMeterRegistry> registries = new ArrayList<>();

    private final BiFunction<Integer, GatewaySettings, GatewaySettings> tune;
    private final List<HttpServer> fronts = new ArrayList<>();

    /** {@code sessions}: session name -> its accounts.json. */
    PoolGatewayFixture(KubernetesMockServer server, KubernetesClient client, Map<String, String> sessions)
            throws Exception {
        this(server, client, sessions, (replica, settings) -> settings);
    }

    /** {@code tune}: the settings of replica 0 or 1, from the fixture's. */
    PoolGatewayFixture(
            KubernetesMockServer server,
            KubernetesClient client,
            Map<String, String> sessions,
            BiFunction<Integer, GatewaySettings, GatewaySettings> tune)
            throws Exception {
        this.client = client;
        this.tune = tune;
        try {
            start(server, sessions);
        } catch (Exception | AssertionError e) {
            close();
            throw e;
        }
    }

    /** The namespaces of sessions (team) and of the gateway (collab-system), and the gateway's placeholder key. */
    static void prepareCluster(KubernetesMockServer server, KubernetesClient client) {
        server.expectCustomResource(CollabSession.crdContext());
        for (String ns : List.of(NS, KEY_NS)) {
            client.resource(new NamespaceBuilder()
                            .withNewMetadata()
                            .withName(ns)
                            .endMetadata()
                            .build())
                    .createOr(r -> r.update());
        }
        client.secrets()
                .inNamespace(KEY_NS)
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName("collab-gateway-key")
                        .endMetadata()
                        .addToData(
                                Placeholders.KEY_DATA_KEY, Base64.getEncoder().encodeToString(KEY))
                        .build())
                .createOr(r -> r.update()); // tests of one class share the mock server
    }

    private void start(KubernetesMockServer server, Map<String, String> sessions) throws Exception {
        prepareCluster(server, client);
        sessions.forEach(this::session);
        provider = new ScriptedAnthropic(vertx);
        for (int i = 0; i < 2; i++) {
            GatewaySettings settings = new GatewaySettings(
                            List.of(NS),
                            KEY_NS,
                            "collab-gateway-key",
                            URI.create(provider.baseUrl()),
                            true,
                            CredentialsMode.Seeded,
                            Duration.ofMillis(200),
                            Duration.ofSeconds(10))
                    .withOAuth(GatewaySettings.OAuth.of(provider.tokenUrl(), "client", Duration.ofMinutes(5)));
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            registries.add(registry);
            CredentialGateway g =
                    new CredentialGateway(vertx, client, tune.apply(i, settings), registry, clock).start();
            gateways.add(g);
            Router web = Router.router(vertx);
            g.mount(web);
            fronts.add(vertx.createHttpServer()
                    .requestHandler(web)
                    .listen(0, "127.0.0.1")
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS));
        }
        await(
                "both gateways see every session",
                () -> gateways.stream().allMatch(g -> g.ready() && g.gatewaySessions() == sessions.size()));
    }

    /** Two api-key accounts, first-{session} and second-{session}. */
    static String twoApiKeys(String session) {
        return "{\"accounts\":[{\"name\":\"first\",\"type\":\"api\",\"key\":\"first-" + session + "\"},"
                + "{\"name\":\"second\",\"type\":\"api\",\"key\":\"second-" + session + "\"}]}";
    }

    /** One OAuth account "sub" with refresh token ort-{session}-{n}-x, expired at {@code expires}. */
    static String oauth(String session, int n, long expires) {
        String nn = String.format("%04d", n);
        return "{\"accounts\":[{\"name\":\"sub\",\"type\":\"oauth\",\"access\":\"oat-" + session + "-" + nn + "-x\","
                + "\"refresh\":\"ort-" + session + "-" + nn + "-x\",\"expires\":" + expires + "}]}";
    }

    /** The provider calls (credentials) of this session's accounts, in order. */
    List<String> callsOf(String session) {
        return provider.calls().stream().filter(c -> c.contains("-" + session)).toList();
    }

    String state(String session, String account) {
        return AccountPoolState.effective(secret(session), clock.instant()).stream()
                .filter(a -> a.getName().equals(account))
                .findFirst()
                .map(AccountStatus::getState)
                .orElse("none");
    }

    CredentialAccounts.Account account(String session) {
        return CredentialAccounts.of(secret(session).getData()).list().get(0);
    }

    Secret secret(String session) {
        return client.secrets().inNamespace(NS).withName(session + "-creds").get();
    }

    HttpResponse<String> send(int gateway, String session) {
        try {
            return HTTP.send(request(gateway, session), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    HttpRequest request(int gateway, String session) {
        CollabSession cs = client.resources(CollabSession.class)
                .inNamespace(NS)
                .withName(session)
                .get();
        return HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + fronts.get(gateway).actualPort() + "/v1/messages"))
                .timeout(Duration.ofSeconds(30))
                .header("content-type", "application/json")
                .header(
                        "x-api-key",
                        Placeholders.access(KEY, NS, session, cs.getMetadata().getUid()))
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"claude-x\",\"stream\":true,\"messages\":[]}"))
                .build();
    }

    private void session(String name, String accountsJson) {
        session(name, accountsJson, spec -> {});
    }

    /** A Gateway-mode session of owner ann with its credential Secret; {@code edit} changes its spec first. */
    void session(String name, String accountsJson, Consumer<CollabSessionSpec> edit) {
        credentials(name, accountsJson);
        CollabSessionSpec spec = new CollabSessionSpec(OWNER, name + "-creds");
        spec.getCredentials().setMode(CredentialsMode.Gateway);
        edit.accept(spec);
        RunningSessions.create(client, NS, name, spec, "http://127.0.0.1:4096");
    }

    /** Replica {@code gateway}'s count of Gateway-mode sessions it knows. */
    int sessionsSeenBy(int gateway) {
        return gateways.get(gateway).gatewaySessions();
    }

    /** Writes replica {@code gateway}'s pending usage to status now. */
    void flushUsage(int gateway) {
        gateways.get(gateway).flushUsage();
    }

    /** Key accounts.json of the session's Secret, written as the router's upload endpoint writes it. */
    void credentials(String session, String accountsJson) {
        String name = session + "-creds";
        Secret existing = client.secrets().inNamespace(NS).withName(name).get();
        SecretBuilder b = existing == null
                ? new SecretBuilder()
                        .withNewMetadata()
                        .withName(name)
                        .withNamespace(NS)
                        .withLabels(CollabLabels.credentialSecretLabels(OWNER))
                        .endMetadata()
                : new SecretBuilder(existing);
        b.addToData(
                CredentialAccounts.KEY,
                Base64.getEncoder().encodeToString(accountsJson.getBytes(StandardCharsets.UTF_8)));
        client.secrets().inNamespace(NS).resource(b.build()).createOr(r -> r.update());
    }

    static void await(String what, BooleanSupplier condition) {
        Awaitility.await(what)
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(50))
                .until(condition::getAsBoolean);
    }

    @Override
    public void close() throws Exception {
        gateways.forEach(CredentialGateway::close);
        try {
            if (provider != null) {
                provider.close();
            }
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    /** The clock of cooldowns, budgets and token expiry: moves only when a test moves it. */
    static final class SettableClock extends Clock {
        private final AtomicReference<Instant> now;

        SettableClock(Instant start) {
            now = new AtomicReference<>(start);
        }

        void advance(Duration d) {
            now.updateAndGet(i -> i.plus(d));
        }

        @Override
        public Instant instant() {
            return now.get();
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }
}
