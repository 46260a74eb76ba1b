package dev.collab.router;

import static dev.collab.router.RouterTestSupport.await;
import static dev.collab.router.RouterTestSupport.b64;
import static dev.collab.router.RouterTestSupport.createSession;
import static dev.collab.router.RouterTestSupport.setStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.collab.api.CollabLabels;
import dev.collab.api.SessionPhase;
import dev.collab.router.RouterTestSupport.RunningRouter;
import dev.collab.testing.MutableClock;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 30, item 13: a tool's output that prints the session's key reaches the viewers' browsers through opencode's
 * event stream; the router removes the session's known secret values from event streams and JSON answers as they
 * stream, a key split across chunks included. Mock API server; opencode is the loopback FAKE {@link FakeOpencode}
 * whose event stream this test writes chunk by chunk.
 */
@EnableKubernetesMockClient(crud = true)
class StreamRedactionTest {
    static final String KEY = "sk-ant-api03-SESSIONKEY-0123456789abcdef";
    static final String REFRESH = "sk-ant-ort01-REFRESH-9876543210";

    static KubernetesMockServer server;
    static KubernetesClient client;
    static Vertx vertx;
    static RunningRouter router;
    static FakeOpencode opencode;
    static String token;
    static final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(30))
            .build();

    @BeforeAll
    static void setUp() throws Exception {
        RouterTestSupport.registerCrd(server);
        RouterTestSupport.createAdminSecret(client);
        vertx = Vertx.vertx();
        opencode = new FakeOpencode("keyed", "password-keyed").start(vertx);
        token = createSession(client, "team-k", "keyed", "30m", opencode.password);
        client.secrets()
                .inNamespace("team-k")
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName("keyed-creds")
                        .withLabels(CollabLabels.credentialSecretLabels("alice@example.com"))
                        .endMetadata()
                        .addToData("auth.json", b64("{\"anthropic\":{\"type\":\"api\",\"key\":\"" + KEY + "\"}}"))
                        .addToData(
                                "claude-credentials.json",
                                b64("{\"claudeAiOauth\":{\"accessToken\":\"sk-ant-oat01-ACCESS-000111\","
                                        + "\"refreshToken\":\"" + REFRESH + "\",\"expiresAt\":1}}"))
                        .build())
                .create();
        setStatus(client, "team-k", "keyed", SessionPhase.Running, null, opencode.endpoint());
        router = new RunningRouter(
                vertx,
                client,
                RouterTestSupport.settings(1 << 20, Duration.ofSeconds(5), Duration.ofSeconds(30)),
                new MutableClock(Instant.parse("2026-12-01T10:00:00Z")));
        await(
                "session and its secret values known",
                () -> router.router.ready()
                        && router.router.directory().find("keyed").stream()
                                .anyMatch(cs -> cs.getStatus() != null
                                        && cs.getStatus().getEndpoint() != null
                                        && router.router
                                                .directory()
                                                .secretValues(cs, null)
                                                .contains(KEY)));
    }

    @AfterAll
    static void tearDown() throws Exception {
        router.close();
        opencode.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void keySplitAcrossChunksOfTheEventStreamNeverReachesTheViewer() throws Exception {
        opencode.sseStreams.clear();
        HttpResponse<InputStream> r = http.send(
                HttpRequest.newBuilder(URI.create(router.base() + "/s/keyed/event"))
                        .header("Authorization", "Bearer " + token)
                        .build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        HttpServerResponse upstream = opencode.sseStreams.poll(60, TimeUnit.SECONDS);
        assertThat(upstream).isNotNull();
        StringBuffer seen = new StringBuffer();
        Thread reader = new Thread(() -> {
            try (InputStream in = r.body()) {
                byte[] buf = new byte[256];
                for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                    seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                }
            } catch (Exception e) {
                seen.append("<error ").append(e).append('>');
            }
        });
        reader.start();

        // one event before: it arrives whole while the stream stays open (nothing buffered)
        upstream.write("data: {\"type\":\"ping\"}\n\n");
        await("the first event", () -> seen.toString().equals("data: {\"type\":\"ping\"}\n\n"));

        // a tool's output printing the key, split in three chunks mid-key
        upstream.write("data: {\"output\":\"ANTHROPIC_API_KEY=" + KEY.substring(0, 10));
        await("the event's start, before the key", () -> seen.toString().endsWith("ANTHROPIC_API_KEY="));
        upstream.write(KEY.substring(10, 25));
        upstream.write(KEY.substring(25) + " and " + REFRESH + "\"}\n\n");
        await("the rest of the event", () -> seen.toString().endsWith("\"}\n\n"));
        upstream.end();
        reader.join(30_000);

        assertThat(seen.toString())
                .isEqualTo("data: {\"type\":\"ping\"}\n\n"
                        + "data: {\"output\":\"ANTHROPIC_API_KEY=[redacted] and [redacted]\"}\n\n")
                .doesNotContain(KEY.substring(10, 25));
    }

    @Test
    void aTailThatOnlyLooksLikeAKeyIsHeldUntilTheNextChunkThenSentAsIs() {
        StreamRedactor redactor = new StreamRedactor(List.of(KEY, "short"));
        assertThat(redactor.feed(Buffer.buffer("text sk-ant-api")).toString())
                .as("the possible start of the key waits")
                .isEqualTo("text ");
        assertThat(redactor.feed(Buffer.buffer("-other\n")).toString())
                .as("not the key after all: sent on")
                .isEqualTo("sk-ant-api-other\n");
        assertThat(redactor.feed(Buffer.buffer("short and sk-")).toString())
                .as("values under 8 characters are not redacted")
                .isEqualTo("short and ");
        assertThat(redactor.finish().toString())
                .as("the end of the stream releases the tail")
                .isEqualTo("sk-");
        assertThat(redactor.feed(Buffer.buffer(KEY + KEY)).toString()).isEqualTo("[redacted][redacted]");
    }

    @Test
    void eventStreamsAndMessageReadsAreRedactedOtherJsonIsNot() {
        assertThat(StreamRedactor.applies("text/event-stream", "/global/event")).isTrue();
        assertThat(StreamRedactor.applies("application/json", "/session/ses_1/message?limit=5"))
                .isTrue();
        assertThat(StreamRedactor.applies("application/json; charset=utf-8", "//Session/ses_1//MESSAGE/msg_2"))
                .isTrue();
        assertThat(StreamRedactor.applies("application/json", "/session/ses_1")).isFalse();
        assertThat(StreamRedactor.applies("text/javascript", "/session/ses_1/message"))
                .isFalse();
    }

    @Test
    void secretValuesAreThoseTheJsonRedactionRuleNames() {
        Secret secret = new SecretBuilder()
                .addToData("auth.json", b64("{\"anthropic\":{\"type\":\"api\",\"key\":\"sk-1234567890\"}}"))
                .addToData(
                        "opencode.json",
                        b64("{\"mcp\":{\"gh\":{\"environment\":{\"GITHUB_TOKEN\":\"ghp-abcdefgh\"}}},"
                                + "\"provider\":{\"x\":{\"options\":{\"baseURL\":\"https://example.com/v1\"}}}}"))
                .addToData("notes.txt", b64("not json"))
                .build();
        assertThat(SecretValues.of(secret)).containsExactlyInAnyOrder("sk-1234567890", "ghp-abcdefgh");
    }
}
