package dev.collab.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Set;
import org.junit.jupiter.api.Test;

class UsageTapTest {

    @Test
    void sseUsageIsReadAcrossChunkBoundaries() {
        String stream = "event: message_start\r\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-x\","
                + "\"usage\":{\"input_tokens\":120,\"cache_read_input_tokens\":30,\"cache_creation_input_tokens\":5,"
                + "\"output_tokens\":1}}}\r\n\r\nevent: content_block_delta\ndata: {\"type\":\"content_block_delta\","
                + "\"delta\":{\"text\":\"" + "x".repeat(UsageTap.MAX_SSE_LINE + 10) + " message_delta\"}}\n\n"
                + "event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":40}}\n\n"
                + "event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":42}}\n\n";
        UsageTap tap = UsageTap.forContentType("text/event-stream; charset=utf-8");
        byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i += 7) {
            tap.feed(Buffer.buffer(java.util.Arrays.copyOfRange(bytes, i, Math.min(bytes.length, i + 7))));
        }
        assertThat(tap.result()).isEqualTo(new Usage("claude-x", 120, 42, 30, 5));
    }

    @Test
    void jsonUsageIsReadByteByByteWithoutHoldingTheBody() {
        String body =
                "{\"id\":\"m\",\"content\":[{\"type\":\"text\",\"text\":\"{\\\"usage\\\":1}\",\"usage\":{\"input_tokens\":999}}],"
                        + "\"model\":\"claude-y\",\"usage\":{\"input_tokens\":7,\"output_tokens\":3,\"server_tool_use\":{\"web_search_requests\":1}}}";
        UsageTap tap = UsageTap.forContentType("application/json");
        for (byte b : body.getBytes(StandardCharsets.UTF_8)) {
            tap.feed(Buffer.buffer(new byte[] {b}));
        }
        assertThat(tap.result()).isEqualTo(new Usage("claude-y", 7, 3, 0, 0));
    }

    @Test
    void otherBodiesCarryNoUsage() {
        UsageTap tap = UsageTap.forContentType("text/plain");
        tap.feed(Buffer.buffer("{\"usage\":{\"input_tokens\":1}}"));
        assertThat(tap.result()).isNull();
        UsageTap broken = UsageTap.forContentType("application/json");
        broken.feed(Buffer.buffer("not json {\"usage\":{\"input_tokens\":1}}"));
        assertThat(broken.result()).isNull();
    }

    @Test
    void realCredentialsComeFromEitherFileAndNeverShowInToString() {
        var secret = new SecretBuilder()
                .withNewMetadata()
                .withName("s")
                .endMetadata()
                .addToData(
                        "opencode.json", b64("{\"provider\":{\"anthropic\":{\"options\":{\"apiKey\":\"sk-config\"}}}}"))
                .addToData(
                        "auth.json",
                        b64("{\"anthropic\":{\"type\":\"oauth\",\"access\":\"sk-oat\",\"refresh\":\"r\"}}"))
                .build();
        // single-account keys: the account of the kind the session presented (no pool, no rotation)
        AccountPool pool = new AccountPool("ns", "s", "o");
        pool.update(secret);
        assertThat(pool.accounts().pool()).isFalse();
        var apiKey = (AccountPool.Choice.Use) pool.choose(RealCredentials.Kind.API_KEY, Set.of(), Instant.EPOCH);
        assertThat(apiKey.account().apiKey()).isEqualTo("sk-config");
        var bearer = (AccountPool.Choice.Use) pool.choose(RealCredentials.Kind.BEARER, Set.of(), Instant.EPOCH);
        assertThat(bearer.account().access()).isEqualTo("sk-oat");
        assertThat(bearer.account().toString() + new RealCredentials.Credential(RealCredentials.Kind.BEARER, "sk-oat"))
                .doesNotContain("sk-");
        AccountPool empty = new AccountPool("ns", "e", "o");
        empty.update(new SecretBuilder().build());
        assertThat(empty.choose(RealCredentials.Kind.API_KEY, Set.of(), Instant.EPOCH))
                .isInstanceOf(AccountPool.Choice.Unusable.class);
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
