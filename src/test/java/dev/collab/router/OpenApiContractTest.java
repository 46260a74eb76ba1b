package dev.collab.router;

import static dev.collab.router.RouterTestSupport.ADMIN_TOKEN;
import static dev.collab.router.RouterTestSupport.await;
import static dev.collab.router.RouterTestSupport.createSession;
import static dev.collab.router.RouterTestSupport.setStatus;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.collab.api.CredentialsMode;
import dev.collab.api.SessionPhase;
import dev.collab.gateway.CredentialGateway;
import dev.collab.gateway.GatewaySettings;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docs/openapi.yaml against the running router and gateway (one Vert.x Router, on loopback): every route they mount
 * is documented with every method it serves (read from the Vert.x route table, not a list kept here), and every
 * documented operation answers bad input with a documented status and a body of the documented schema. Faked here:
 * the API server (Fabric8 mock, CRUD; the test writes session status as the operator would) and opencode
 * ({@link FakeOpencode}); the provider is never reached (the gateway refuses before it).
 */
@EnableKubernetesMockClient(crud = true)
class OpenApiContractTest {
    static KubernetesMockServer server;
    static KubernetesClient client;

    static final OpenApiDocument DOC = OpenApiDocument.committed();
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    /** The methods a route without a method restriction answers: the document must list them all. */
    static final Set<String> ANY_METHOD = Set.of("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE");

    static Vertx vertx;
    static FakeOpencode opencode;
    static SessionRouter router;
    static CredentialGateway gateway;
    static Router web;
    static HttpServer http;
    static String sessionToken;

    @BeforeAll
    static void start() throws Exception {
        RouterTestSupport.registerCrd(server);
        RouterTestSupport.createAdminSecret(client);
        vertx = Vertx.vertx();
        opencode = new FakeOpencode("alpha", "password-alpha").start(vertx);
        sessionToken = createSession(client, "team", "alpha", "30m", opencode.password);
        setStatus(client, "team", "alpha", SessionPhase.Running, null, opencode.endpoint());
        createSession(client, "team", "beta", "30m", "password-beta");
        setStatus(client, "team", "beta", SessionPhase.Running, null, opencode.endpoint());
        router = new SessionRouter(
                        vertx,
                        client,
                        RouterTestSupport.settings(1 << 20, Duration.ofSeconds(5), Duration.ofSeconds(10)),
                        new SimpleMeterRegistry(),
                        Clock.systemUTC())
                .start();
        gateway = new CredentialGateway(
                        vertx,
                        client,
                        new GatewaySettings(
                                List.of("team"),
                                RouterTestSupport.ROUTER_NS,
                                "collab-gateway-key",
                                URI.create("http://127.0.0.1:1"),
                                true,
                                CredentialsMode.Gateway,
                                Duration.ofSeconds(60),
                                Duration.ofSeconds(10)),
                        new SimpleMeterRegistry(),
                        Clock.systemUTC())
                .start();
        web = Router.router(vertx);
        router.mount(web);
        gateway.mount(web);
        http = vertx.createHttpServer()
                .requestHandler(web)
                .listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        await(
                "router and gateway synced, sessions known",
                () -> router.ready()
                        && gateway.ready()
                        && router.directory().find("alpha").size() == 1
                        && router.directory().find("beta").size() == 1
                        && router.directory().adminToken().isPresent());
    }

    @AfterAll
    static void stop() throws Exception {
        if (http != null) {
            http.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        if (gateway != null) {
            gateway.close();
        }
        if (router != null) {
            router.close();
        }
        if (opencode != null) {
            opencode.close();
        }
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void everyRouteTheAppMountsIsDocumentedWithEveryMethodItServes() {
        Map<String, Set<String>> documented = OpenApiDocument.byPath(DOC.operations());
        Map<String, Set<String>> served = new java.util.TreeMap<>();
        for (Route r : web.getRoutes()) {
            if (SessionApi.NOT_ALLOWED.equals(r.getName())) {
                continue; // answers 405 for the methods its path does not serve (checked below)
            }
            assertThat(r.getPath())
                    .as("a route without a path (%s) cannot be documented", r.getName())
                    .isNotNull();
            Set<String> methods = r.methods() == null || r.methods().isEmpty()
                    ? ANY_METHOD
                    : r.methods().stream().map(HttpMethod::name).collect(Collectors.toSet());
            // a prefix route (mounted as /x/*) matches the rest of the path: the document's {path}
            String path = r.isExactPath() ? r.getPath() : r.getPath() + "*";
            served.computeIfAbsent(OpenApiDocument.openApiPath(path), k -> new TreeSet<>())
                    .addAll(methods);
        }
        assertThat(served)
                .as("served routes")
                .containsKeys("/collab/session/{session}", "/s/{session}/{path}", "/v1/{path}");
        assertThat(documented).as("documented operations = served routes").isEqualTo(served);
    }

    @Test
    void theDocumentIsServedWithoutATokenAsCommitted() throws Exception {
        HttpResponse<String> r = send("GET", "/collab/openapi.yaml", null, null, null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type"))
                .hasValueSatisfying(t -> assertThat(t).startsWith("application/yaml"));
        assertThat(r.body()).isEqualTo(Files.readString(OpenApiDocument.FILE));
    }

    @Test
    void everySecuredOperationRefusesAMissingAndAWrongTokenAsDocumented() throws Exception {
        List<String> checked = new ArrayList<>();
        List<String> open = new ArrayList<>();
        for (String op : DOC.operations()) {
            String method = op.split(" ")[0];
            String path = op.split(" ")[1];
            if (DOC.operation(method, path).path("security").isEmpty()
                    && DOC.operation(method, path).has("security")) {
                open.add(op); // the document, the accounts page and the login callback: no token
                continue;
            }
            String concrete = concrete(path, "alpha");
            expect(op, send(method, concrete, null, body(method), null), 401);
            expect(op, send(method, concrete, "wrong-token-0123456789", body(method), null), 403);
            checked.add(op);
        }
        assertThat(open)
                .as("operations without a token")
                .containsExactlyInAnyOrder(
                        "GET /collab/openapi.yaml", "GET /collab/accounts/{owner}/page", "GET /collab/oauth/callback");
        assertThat(checked).hasSize(DOC.operations().size() - open.size());
    }

    @Test
    void theCollabOperationsAnswerTheirDocumentedSuccessAndUnknownSessions() throws Exception {
        expect(
                "GET status (admin)",
                send("GET", "/collab/session/alpha", ADMIN_TOKEN, null, null),
                200,
                "GET",
                "/collab/session/{session}");
        expect(
                "GET status (session token)",
                send("GET", "/collab/session/alpha", sessionToken, null, null),
                200,
                "GET",
                "/collab/session/{session}");
        for (String op : DOC.operations()) {
            String method = op.split(" ")[0];
            String path = op.split(" ")[1];
            if (path.startsWith("/collab/session/")) {
                expect(op, send(method, concrete(path, "nobody"), ADMIN_TOKEN, body(method), "application/json"), 404);
            }
        }
        expect(
                "PUT credentials",
                send(
                        "PUT",
                        "/collab/session/alpha/credentials/auth.json",
                        ADMIN_TOKEN,
                        "{\"anthropic\":{\"type\":\"api\",\"key\":\"k\"}}",
                        "application/json"),
                200,
                "PUT",
                "/collab/session/{session}/credentials/{key}");
        expect(
                "PUT claude-creds",
                send(
                        "PUT",
                        "/collab/session/alpha/claude-creds",
                        ADMIN_TOKEN,
                        "{\"claudeAiOauth\":{}}",
                        "application/json"),
                200,
                "PUT",
                "/collab/session/{session}/claude-creds");
        expect(
                "DELETE",
                send("DELETE", "/collab/session/beta", ADMIN_TOKEN, null, null),
                200,
                "DELETE",
                "/collab/session/{session}");
    }

    @Test
    void badUploadsGetTheirDocumentedStatusAndAJsonError() throws Exception {
        String put = "PUT";
        String path = "/collab/session/{session}/credentials/{key}";
        String url = "/collab/session/alpha/credentials/";
        expect("unknown key", send(put, url + "nope.json", ADMIN_TOKEN, "{}", "application/json"), 400, put, path);
        expect("not JSON", send(put, url + "auth.json", ADMIN_TOKEN, "{not json", "application/json"), 400, put, path);
        expect("not an object", send(put, url + "auth.json", ADMIN_TOKEN, "[1]", "application/json"), 400, put, path);
        expect("text/plain", send(put, url + "auth.json", ADMIN_TOKEN, "{}", "text/plain"), 415, put, path);
        String large = "{\"k\":\"" + "x".repeat((int) RouterSettings.CREDENTIAL_BODY_LIMIT + 1) + "\"}";
        expect("too large", send(put, url + "auth.json", ADMIN_TOKEN, large, "application/json"), 413, put, path);
    }

    @Test
    void aMethodAPathDoesNotListAnswers405WithAllowAndAJsonError() throws Exception {
        for (Map.Entry<String, Set<String>> p :
                OpenApiDocument.byPath(DOC.operations()).entrySet()) {
            Set<String> missing = new TreeSet<>(ANY_METHOD);
            missing.removeAll(p.getValue());
            missing.remove("HEAD"); // no body to check
            for (String method : missing) {
                HttpResponse<String> r =
                        send(method, concrete(p.getKey(), "alpha"), ADMIN_TOKEN, body(method), "application/json");
                assertThat(r.statusCode()).as(method + " " + p.getKey()).isEqualTo(405);
                assertThat(r.headers().firstValue("allow"))
                        .as(method + " " + p.getKey() + " Allow")
                        .isPresent();
                assertThat(DOC.violations(DOC.root.at("/components/schemas/Error"), JSON.readTree(r.body()), "body"))
                        .as(method + " " + p.getKey())
                        .isEmpty();
            }
        }
    }

    /** The status must be the expected one, documented for the operation, and the body must fit its schema. */
    private static void expect(String op, HttpResponse<String> r, int status) throws Exception {
        String[] mp = op.split(" ", 2);
        expect(op, r, status, mp[0], mp[1]);
    }

    private static void expect(String what, HttpResponse<String> r, int status, String method, String path)
            throws Exception {
        assertThat(r.statusCode()).as(what + ": " + r.body()).isEqualTo(status);
        JsonNode response = DOC.response(method, path, status);
        assertThat(response.isMissingNode())
                .as(what + ": status " + status + " is documented")
                .isFalse();
        JsonNode schema = DOC.jsonSchema(response);
        if (schema != null && !method.equals("HEAD")) { // a HEAD answer has no body
            assertThat(r.headers().firstValue("content-type").orElse(""))
                    .as(what)
                    .startsWith("application/json");
            assertThat(DOC.violations(schema, JSON.readTree(r.body()), "body"))
                    .as(what + ": " + r.body())
                    .isEmpty();
        }
    }

    private static String concrete(String path, String session) {
        return path.replace("{session}", session)
                .replace("{owner}", "owner-" + session)
                .replace("{state}", "some-state")
                .replace("{account}", "work")
                .replace("{key}", "auth.json")
                .replace("{path}", path.startsWith("/v1/") ? "messages" : "session");
    }

    private static String body(String method) {
        return Set.of("POST", "PUT", "PATCH").contains(method) ? "{}" : null;
    }

    private static HttpResponse<String> send(String method, String path, String token, String body, String type)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.actualPort() + path))
                .timeout(Duration.ofSeconds(30))
                .method(
                        method.toUpperCase(Locale.ROOT),
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (type != null || body != null) {
            b.header("Content-Type", type == null ? "application/json" : type);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
