package dev.collab.gateway;

import static dev.collab.gateway.ScriptedAnthropic.rateLimited;
import static dev.collab.gateway.ScriptedAnthropic.rateLimitedInStream;
import static org.assertj.core.api.Assertions.assertThat;

import dev.collab.api.AccountPoolState;
import dev.collab.api.AccountStatus;
import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.CollabSessionStatus;
import dev.collab.api.CredentialAccounts;
import dev.collab.api.CredentialsMode;
import dev.collab.api.DailyBudget;
import dev.collab.api.EventReasons;
import dev.collab.api.Placeholders;
import dev.collab.api.SessionPhase;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Account pools through two gateway instances (replicas) against the Fabric8 mock API server (CRUD; the test plays
 * the operator by writing the sessions' status) and {@link ScriptedAnthropic}, a loopback fake of the Anthropic API
 * and Claude's OAuth token endpoint with answers scripted per credential. Time is a settable clock: cooldowns and
 * token expiry move only when a test moves it. Each test has its own session and credential Secret.
 */
@EnableKubernetesMockClient(crud = true)
class AccountPoolGatewayTest {
    static KubernetesMockServer server;
    static KubernetesClient client;

    private static final String NS = "team";
    private static final String KEY_NS = "collab-system";
    private static final String OWNER = "ann@example.com";
    private static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final SettableClock CLOCK = new SettableClock(Instant.parse("2026-11-30T10:00:00Z"));

    private static Vertx vertx;
    private static ScriptedAnthropic provider;
    private static final List<CredentialGateway> gateways = new ArrayList<>();
    private static final List<HttpServer> fronts = new ArrayList<>();

    /** Two api-key accounts per session: first-x and second-x. */
    private static final List<String> API_POOLS = List.of("rotation", "instream", "cooling", "burst", "budget");

    @BeforeAll
    static void start() throws Exception {
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
                .create();
        for (String s : API_POOLS) {
            session(
                    s,
                    "{\"accounts\":[{\"name\":\"first\",\"type\":\"api\",\"key\":\"first-" + s + "\"},"
                            + "{\"name\":\"second\",\"type\":\"api\",\"key\":\"second-" + s + "\"}]}");
        }
        long expired = CLOCK.millis() - 1;
        for (String s : List.of("refresh", "race", "revoked")) {
            session(
                    s,
                    "{\"accounts\":[{\"name\":\"sub\",\"type\":\"oauth\",\"access\":\"oat-" + s + "-0001-x\","
                            + "\"refresh\":\"ort-" + s + "-0001-x\",\"expires\":" + expired + "}]}");
        }
        vertx = Vertx.vertx();
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
            CredentialGateway g =
                    new CredentialGateway(vertx, client, settings, new SimpleMeterRegistry(), CLOCK).start();
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
                () -> gateways.stream().allMatch(g -> g.ready() && g.gatewaySessions() == API_POOLS.size() + 3));
    }

    @AfterAll
    static void stop() throws Exception {
        gateways.forEach(CredentialGateway::close);
        if (provider != null) {
            provider.close();
        }
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void a429MovesTheRequestToTheNextAccountUntilTheFirstResets() throws Exception {
        provider.script("first-rotation", rateLimited(120));
        HttpResponse<String> r = send(0, "rotation");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains(ScriptedAnthropic.TEXT).doesNotContain("rate_limit_error");
        assertThat(callsOf("rotation")).containsExactly("first-rotation", "second-rotation");
        assertThat(send(0, "rotation").statusCode()).isEqualTo(200);
        assertThat(callsOf("rotation"))
                .as("cooling down: not asked again")
                .endsWith("second-rotation", "second-rotation");
        await(
                "the cooldown is published on the Secret",
                () -> state("rotation", "first").equals(AccountStatus.COOLING_DOWN));
        CLOCK.advance(Duration.ofSeconds(121));
        assertThat(send(0, "rotation").statusCode()).isEqualTo(200);
        assertThat(callsOf("rotation"))
                .as("after its reset the first account is used again")
                .endsWith("first-rotation");
    }

    @Test
    void aRateLimitErrorInsideA200StreamBeforeContentIsRetriedUnseen() throws Exception {
        provider.script("first-instream", rateLimitedInStream());
        HttpResponse<String> r = send(0, "instream");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains(ScriptedAnthropic.TEXT).doesNotContain("rate_limit_error");
        assertThat(r.body().split("event: message_start", -1))
                .as("one clean answer")
                .hasSize(2);
        assertThat(callsOf("instream")).containsExactly("first-instream", "second-instream");
    }

    @Test
    void everyAccountCoolingDownGives429WithTheEarliestReset() throws Exception {
        provider.script("first-cooling", rateLimited(600));
        provider.script("second-cooling", rateLimited(300));
        Instant now = CLOCK.instant();
        assertThat(send(0, "cooling").statusCode())
                .as("the last provider answer passes through")
                .isEqualTo(429);
        int calls = callsOf("cooling").size();
        HttpResponse<String> r = send(0, "cooling");
        assertThat(r.statusCode()).isEqualTo(429);
        JsonObject error = new JsonObject(r.body()).getJsonObject("error");
        assertThat(error.getString("type")).isEqualTo("rate_limit_error");
        assertThat(Instant.parse(error.getString("reset_at"))).isEqualTo(now.plusSeconds(300));
        assertThat(r.headers().firstValue("retry-after")).hasValue("301");
        assertThat(callsOf("cooling")).as("the provider is not asked").hasSize(calls);
    }

    @Test
    void aShortBurstPassesThroughWithoutRotating() throws Exception {
        provider.script("first-burst", rateLimited(2));
        HttpResponse<String> r = send(0, "burst");
        assertThat(r.statusCode()).isEqualTo(429);
        assertThat(r.headers().firstValue("retry-after")).hasValue("2");
        assertThat(send(0, "burst").statusCode()).isEqualTo(200);
        assertThat(callsOf("burst")).containsExactly("first-burst", "first-burst");
    }

    @Test
    void anExpiredTokenIsRefreshedOnceAndTheRotatedRefreshTokenIsWrittenBack() throws Exception {
        HttpResponse<String> r = send(0, "refresh");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(provider.refreshes()).containsOnlyOnce("ort-refresh-0001-x");
        assertThat(callsOf("refresh")).containsExactly("oat-refresh-0002-rotated");
        CredentialAccounts.Account a = account("refresh");
        assertThat(a.refresh()).isEqualTo("ort-refresh-0002-rotated");
        assertThat(a.expiresAt()).isEqualTo(CLOCK.millis() + 28_800_000L);
        assertThat(send(1, "refresh").statusCode())
                .as("the other replica uses the written-back token")
                .isEqualTo(200);
        assertThat(provider.refreshes()).filteredOn(t -> t.contains("refresh")).hasSize(1);
    }

    @Test
    void twoReplicasRacingForTheSameAccountRefreshItOnce() throws Exception {
        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            all.add(HTTP.sendAsync(request(i % 2, "race"), HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> f : all) {
            assertThat(f.get(60, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
        assertThat(provider.refreshes()).filteredOn(t -> t.contains("race")).containsExactly("ort-race-0001-x");
        assertThat(callsOf("race")).containsOnly("oat-race-0002-rotated");
        assertThat(account("race").refresh()).isEqualTo("ort-race-0002-rotated");
    }

    @Test
    void aRevokedRefreshTokenNeedsARelogin() throws Exception {
        provider.revoke("ort-revoked-0001-x");
        HttpResponse<String> r = send(0, "revoked");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).contains("needs a new login").doesNotContain("ort-");
        assertThat(state("revoked", "sub")).isEqualTo(AccountStatus.RELOGIN_REQUIRED);
        await(
                "a ReloginRequired Event on the session",
                () -> client.v1().events().inNamespace(NS).list().getItems().stream()
                        .anyMatch(e -> EventReasons.RELOGIN_REQUIRED.equals(e.getReason())
                                && "revoked".equals(e.getInvolvedObject().getName())
                                && !e.getMessage().contains("ort-")));
        assertThat(send(1, "revoked").statusCode())
                .as("the other replica does not try again")
                .isEqualTo(503);
        assertThat(provider.refreshes()).filteredOn(t -> t.contains("revoked")).hasSize(1);

        // the collab app uploads new credentials (as the router's upload endpoint writes them)
        credentials(
                "revoked",
                "{\"accounts\":[{\"name\":\"sub\",\"type\":\"oauth\",\"access\":\"oat-revoked-0005-x\","
                        + "\"refresh\":\"ort-revoked-0005-x\",\"expires\":" + (CLOCK.millis() - 1) + "}]}");
        assertThat(state("revoked", "sub")).as("cleared by the upload itself").isEqualTo(AccountStatus.ACTIVE);
        await("the new login works", () -> send(0, "revoked").statusCode() == 200);
        assertThat(callsOf("revoked")).containsExactly("oat-revoked-0006-rotated");
    }

    @Test
    void anExhaustedDailyBudgetGives429AndAnEvent() throws Exception {
        CollabSession cs = client.resources(CollabSession.class)
                .inNamespace(NS)
                .withName("budget")
                .get();
        cs.getSpec().getCredentials().setBudget(new DailyBudget(null, 1L));
        client.resource(cs).update();
        await("the gateway sees the budget", () -> {
            send(0, "budget");
            return send(0, "budget").statusCode() == 429;
        });
        HttpResponse<String> r = send(0, "budget");
        assertThat(r.statusCode()).isEqualTo(429);
        JsonObject error = new JsonObject(r.body()).getJsonObject("error");
        assertThat(error.getString("message")).contains("daily request budget of 1 requests");
        assertThat(Instant.parse(error.getString("reset_at"))).isEqualTo(Instant.parse("2026-12-01T00:00:00Z"));
        await(
                "a BudgetExhausted Event",
                () -> client.v1().events().inNamespace(NS).list().getItems().stream()
                        .anyMatch(e -> EventReasons.BUDGET_EXHAUSTED.equals(e.getReason())
                                && "budget".equals(e.getInvolvedObject().getName())));
    }

    private static List<String> callsOf(String session) {
        return provider.calls().stream().filter(c -> c.contains("-" + session)).toList();
    }

    private static String state(String session, String account) {
        Secret s = client.secrets().inNamespace(NS).withName(session + "-creds").get();
        return AccountPoolState.effective(s, CLOCK.instant()).stream()
                .filter(a -> a.getName().equals(account))
                .findFirst()
                .map(AccountStatus::getState)
                .orElse("none");
    }

    private static CredentialAccounts.Account account(String session) {
        Secret s = client.secrets().inNamespace(NS).withName(session + "-creds").get();
        return CredentialAccounts.of(s.getData()).list().get(0);
    }

    private static HttpResponse<String> send(int gateway, String session) {
        try {
            return HTTP.send(request(gateway, session), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static HttpRequest request(int gateway, String session) {
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

    private static void session(String name, String accountsJson) {
        credentials(name, accountsJson);
        CollabSessionSpec spec = new CollabSessionSpec(OWNER, name + "-creds");
        spec.getCredentials().setMode(CredentialsMode.Gateway);
        client.resource(new CollabSession(NS, name, spec)).create();
        CollabSession cs = client.resources(CollabSession.class)
                .inNamespace(NS)
                .withName(name)
                .get();
        CollabSessionStatus status = new CollabSessionStatus();
        status.setPhase(SessionPhase.Running);
        status.setEndpoint("http://127.0.0.1:4096");
        cs.setStatus(status);
        client.resource(cs).updateStatus();
    }

    /** The Secret as the router's upload endpoint writes it: key accounts.json, opted in for the owner. */
    private static void credentials(String session, String accountsJson) {
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

    private static void await(String what, BooleanSupplier condition) {
        Awaitility.await(what)
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(50))
                .until(condition::getAsBoolean);
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
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }
}
