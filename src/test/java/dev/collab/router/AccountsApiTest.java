package dev.collab.router;

import static dev.collab.router.RouterTestSupport.ADMIN_TOKEN;
import static dev.collab.router.RouterTestSupport.await;
import static dev.collab.router.RouterTestSupport.b64;
import static dev.collab.router.RouterTestSupport.createSession;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.collab.api.AccountPoolState;
import dev.collab.api.CollabLabels;
import dev.collab.api.CredentialAccounts;
import dev.collab.testing.FakeAuthorizationServer;
import dev.collab.testing.MutableClock;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The accounts API end to end on loopback: a router against the Fabric8 mock API server (CRUD, resourceVersion
 * checked), and a FAKE OAuth provider ({@link FakeAuthorizationServer}) standing in for Claude's authorize page and
 * token endpoint; the person approving a login is the test ({@code approve} returns the code to paste). Every answer
 * is also checked against docs/openapi.yaml.
 */
@EnableKubernetesMockClient(crud = true)
class AccountsApiTest {
    // per test (instance fields): each test starts from an empty API server
    KubernetesMockServer server;
    KubernetesClient client;

    static final String NS = "team";
    static final String ALICE = "alice@example.com";
    static final ObjectMapper JSON = new ObjectMapper();
    static final OpenApiDocument DOC = OpenApiDocument.committed();
    static final HttpClient HTTP = HttpClient.newHttpClient();

    Vertx vertx;
    FakeAuthorizationServer provider;
    MutableClock clock = new MutableClock(Instant.parse("2026-12-05T10:00:00Z"));
    RouterTestSupport.RunningRouter router;
    String aliceToken;
    String bobToken;

    @BeforeEach
    void start() throws Exception {
        RouterTestSupport.registerCrd(server);
        RouterTestSupport.createAdminSecret(client);
        vertx = Vertx.vertx();
        provider = new FakeAuthorizationServer();
        aliceToken = createSession(client, NS, "alpha", ALICE, "30m", "pw-alpha");
        bobToken = createSession(client, NS, "bravo", "bob@example.com", "30m", "pw-bravo");
        RouterSettings settings = RouterTestSupport.settings(1 << 20, Duration.ofSeconds(5), Duration.ofSeconds(10))
                .withLogin(new RouterSettings.AccountLogin(
                        provider.authorizeUrl(),
                        provider.tokenUrl(),
                        FakeAuthorizationServer.CLIENT_ID,
                        "https://provider.example/oauth/code/callback",
                        "user:inference",
                        Duration.ofMinutes(10)));
        router = new RouterTestSupport.RunningRouter(vertx, client, settings, clock);
        await(
                "router synced",
                () -> router.router.ready()
                        && router.router.directory().adminToken().isPresent()
                        && router.router.directory().find("bravo").size() == 1);
    }

    @AfterEach
    void stop() throws Exception {
        if (router != null) {
            router.close();
        }
        provider.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void fromNoAccountToThreeThenOrderedDisabledAndOneRemovedWithoutASecretInAnyAnswer() throws Exception {
        for (int i = 1; i <= 3; i++) {
            JsonNode done = login(aliceToken, null);
            assertThat(done.path("account").asText()).isEqualTo("account-" + i);
        }
        Secret secret = secret();
        assertThat(secret.getMetadata().getLabels())
                .as("created for the owner, like an upload")
                .containsAllEntriesOf(CollabLabels.credentialSecretLabels(ALICE));
        assertThat(secret.getMetadata().getOwnerReferences()).isNullOrEmpty();
        assertThat(CredentialAccounts.of(secret.getData()).list())
                .extracting(CredentialAccounts.Account::name)
                .containsExactly("account-1", "account-2", "account-3");
        assertThat(CredentialAccounts.of(secret.getData()).list())
                .allSatisfy(a -> assertThat(a.refresh()).startsWith("frt-"));

        JsonNode ordered =
                call("PUT", "/order", ADMIN_TOKEN, "{\"order\":[\"account-3\",\"account-1\",\"account-2\"]}", 200);
        assertThat(names(ordered)).containsExactly("account-3", "account-1", "account-2");
        call("PUT", "/order", ADMIN_TOKEN, "{\"order\":[\"account-3\",\"account-1\"]}", 409);
        JsonNode disabled = call("PATCH", "/accounts/account-1", aliceToken, "{\"disabled\":true}", 200);
        assertThat(disabled.at("/accounts/1/state").asText()).isEqualTo("Disabled");
        JsonNode removed = call("DELETE", "/accounts/account-2", aliceToken, null, 200);
        assertThat(names(removed)).containsExactly("account-3", "account-1");
        call("DELETE", "/accounts/account-2", aliceToken, null, 404);
        JsonNode list = call("GET", "", aliceToken, null, 200);
        assertThat(names(list)).containsExactly("account-3", "account-1");
        assertThat(list.toString())
                .as("no token value in any answer")
                .doesNotContain("fat-")
                .doesNotContain("frt-");
        assertThat(CredentialAccounts.of(secret().getData()).list())
                .extracting(CredentialAccounts.Account::name, CredentialAccounts.Account::disabled)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("account-3", false),
                        org.assertj.core.groups.Tuple.tuple("account-1", true));
    }

    @Test
    void aReloginReplacesTheAccountInPlaceAndClearsReloginRequired() throws Exception {
        login(ADMIN_TOKEN, null);
        login(ADMIN_TOKEN, null);
        Secret s = secret();
        String fingerprint = CredentialAccounts.of(s.getData())
                .named("account-1")
                .orElseThrow()
                .fingerprint();
        // the gateway found the refresh token refused (what OAuthRefresher writes)
        client.secrets()
                .inNamespace(NS)
                .withName("alpha-creds")
                .edit(x -> new SecretBuilder(x)
                        .editMetadata()
                        .addToAnnotations(
                                AccountPoolState.ANNOTATION,
                                AccountPoolState.write(List.of(new AccountPoolState.Entry(
                                        "account-1", "ReloginRequired", null, "refused", fingerprint, 4, 40, 400))))
                        .endMetadata()
                        .build());
        JsonNode before = call("GET", "", aliceToken, null, 200);
        assertThat(before.at("/accounts/0/state").asText()).isEqualTo("ReloginRequired");
        assertThat(before.at("/accounts/0/requests").asLong()).isEqualTo(4);

        JsonNode after = login(aliceToken, "account-1");
        assertThat(names(after)).containsExactly("account-1", "account-2");
        assertThat(after.at("/accounts/0/state").asText()).isEqualTo("Active");
        assertThat(after.at("/accounts/0/requests").asLong())
                .as("usage stays with the account")
                .isEqualTo(4);
    }

    @Test
    void singleAccountKeysAreKeptWhenTheFirstLoginMakesAPool() throws Exception {
        client.secrets()
                .inNamespace(NS)
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName("alpha-creds")
                        .withLabels(CollabLabels.credentialSecretLabels(ALICE))
                        .endMetadata()
                        .addToData(
                                "claude-credentials.json",
                                b64("{\"claudeAiOauth\":{\"accessToken\":\"old-a\",\"refreshToken\":\"old-r\","
                                        + "\"expiresAt\":1}}"))
                        .build())
                .create();
        assertThat(names(call("GET", "", aliceToken, null, 200))).containsExactly("subscription");
        login(aliceToken, null);
        List<CredentialAccounts.Account> pool =
                CredentialAccounts.of(secret().getData()).list();
        assertThat(pool).extracting(CredentialAccounts.Account::name).containsExactly("subscription", "account-1");
        assertThat(pool.get(0).refresh())
                .as("the uploaded subscription, carried over")
                .isEqualTo("old-r");
        assertThat(pool.get(1).refresh()).as("the new login's").startsWith("frt-");
        assertThat(CredentialAccounts.of(secret().getData()).pool()).isTrue();
    }

    @Test
    void aLoginStateIsBoundToItsOwnerExpiresAndFinishesOnce() throws Exception {
        JsonNode started = call("POST", "/login", aliceToken, "{}", 200);
        String state = started.path("state").asText();
        String code = provider.approve(started.path("authorizeUrl").asText());
        // bob, with his own valid token, cannot finish alice's login under his name
        HttpResponse<String> other = send(
                "POST", "/collab/accounts/bob%40example.com/login/" + state, bobToken, "{\"code\":\"" + code + "\"}");
        expect(other, 403, "POST", "/collab/accounts/{owner}/login/{state}");
        // nor with his token on alice's path
        expect(
                send("POST", base() + "/login/" + state, bobToken, "{\"code\":\"x\"}"),
                403,
                "POST",
                "/collab/accounts/{owner}/login/{state}");
        call("POST", "/login/" + state.substring(0, state.length() - 2) + "AA", aliceToken, "{\"code\":\"x\"}", 400);
        call("POST", "/login/" + state, aliceToken, "{\"code\":\"" + code + "\"}", 200);
        call("POST", "/login/" + state, aliceToken, "{\"code\":\"" + code + "\"}", 409);
        assertThat(provider.exchanges())
                .as("the second finish never reached the provider")
                .isEqualTo(1);

        JsonNode late = call("POST", "/login", aliceToken, "{}", 200);
        clock.advance(Duration.ofMinutes(11));
        call(
                "POST",
                "/login/" + late.path("state").asText(),
                aliceToken,
                "{\"code\":\"" + provider.approve(late.path("authorizeUrl").asText()) + "\"}",
                410);
    }

    @Test
    void badRequestsGetAClearJsonAnswerAndChangeNothing() throws Exception {
        call("GET", "", null, null, 401);
        call("GET", "", bobToken, null, 403);
        expect(send("GET", "/collab/accounts/nobody", ADMIN_TOKEN, null), 404, "GET", "/collab/accounts/{owner}");
        call("POST", "/login", aliceToken, "{\"account\":\"../etc\"}", 400);
        call("POST", "/login", aliceToken, "[1]", 400);
        call("POST", "/login", aliceToken, "{\"x\":\"" + "y".repeat(20_000) + "\"}", 413);
        JsonNode started = call("POST", "/login", aliceToken, "{}", 200);
        call("POST", "/login/" + started.path("state").asText(), aliceToken, "{\"code\":\"not-a-code#x\"}", 400);
        call("POST", "/login/" + started.path("state").asText(), aliceToken, "{}", 400);
        call("PATCH", "/accounts/account-1", aliceToken, "{\"disabled\":true}", 404);
        assertThat(client.secrets().inNamespace(NS).withName("alpha-creds").get())
                .as("nothing was written")
                .isNull();
    }

    @Test
    void theProvidersRedirectToTheCallbackFinishesALoginWithoutAToken() throws Exception {
        JsonNode started = call("POST", "/login", aliceToken, "{}", 200);
        String code = provider.approve(started.path("authorizeUrl").asText()).split("#")[0];
        String q = "?code=" + code + "&state=" + started.path("state").asText();
        HttpResponse<String> page = send("GET", "/collab/oauth/callback" + q, null, null);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("Account account-1 is logged in");
        assertThat(send("GET", "/collab/oauth/callback" + q, null, null).statusCode())
                .isEqualTo(409);
        assertThat(send("GET", "/collab/oauth/callback?code=x&state=forged", null, null)
                        .statusCode())
                .isEqualTo(400);
        assertThat(names(call("GET", "", aliceToken, null, 200))).containsExactly("account-1");
    }

    @Test
    void thePageIsServedWithAStrictPolicyAndNoData() throws Exception {
        HttpResponse<String> page = send("GET", base() + "/page", null, null);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("content-security-policy").orElse(""))
                .contains("default-src 'none'")
                .contains("script-src 'sha256-")
                .contains("frame-ancestors 'none'");
        assertThat(page.body()).contains("<table id=\"accounts\">").doesNotContain("alpha-creds");
    }

    // --- helpers

    private JsonNode login(String token, String account) throws Exception {
        JsonNode started =
                call("POST", "/login", token, account == null ? "{}" : "{\"account\":\"" + account + "\"}", 200);
        URI authorize = URI.create(started.path("authorizeUrl").asText());
        assertThat(authorize.getRawQuery())
                .contains("code_challenge_method=S256")
                .contains("client_id=" + FakeAuthorizationServer.CLIENT_ID)
                .doesNotContain("code_verifier");
        String pasted = provider.approve(authorize.toString());
        return call("POST", "/login/" + started.path("state").asText(), token, "{\"code\":\"" + pasted + "\"}", 200);
    }

    private Secret secret() {
        return client.secrets().inNamespace(NS).withName("alpha-creds").get();
    }

    private static List<String> names(JsonNode pool) {
        List<String> out = new java.util.ArrayList<>();
        pool.path("accounts").forEach(a -> out.add(a.path("name").asText()));
        return out;
    }

    private static String base() {
        return "/collab/accounts/alice%40example.com";
    }

    /** Sends to the owner's API path, checks the status and the documented schema, returns the body. */
    private JsonNode call(String method, String suffix, String token, String body, int status) throws Exception {
        HttpResponse<String> r = send(method, base() + suffix, token, body);
        String docPath = "/collab/accounts/{owner}"
                + suffix.replaceAll("^/login/.*", "/login/{state}").replaceAll("^/accounts/.*", "/accounts/{account}");
        expect(r, status, method, docPath);
        return JSON.readTree(r.body());
    }

    private static void expect(HttpResponse<String> r, int status, String method, String path) throws Exception {
        assertThat(r.statusCode()).as(method + " " + path + ": " + r.body()).isEqualTo(status);
        JsonNode response = DOC.response(method, path, status);
        assertThat(response.isMissingNode())
                .as(method + " " + path + " documents " + status)
                .isFalse();
        JsonNode schema = DOC.jsonSchema(response);
        if (schema != null) {
            assertThat(DOC.violations(schema, JSON.readTree(r.body()), "body"))
                    .as(r.body())
                    .isEmpty();
        }
    }

    private HttpResponse<String> send(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(router.base() + path))
                .timeout(Duration.ofSeconds(30))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static String unb64(String s) {
        return new String(Base64.getDecoder().decode(s));
    }
}
