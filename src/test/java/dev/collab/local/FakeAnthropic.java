package dev.collab.local;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;

/**
 * A loopback stand-in for the Anthropic Messages API: records every request (path, x-api-key, Authorization, body
 * and the process that opened the connection) and answers POST .../messages with a minimal streamed completion.
 */
public final class FakeAnthropic implements AutoCloseable {
    /**
     * One request as it reached the endpoint; pid -1 when the owning process could not be found. {@code ancestors}:
     * the sender's parent chain when it arrived (a sandboxed worker's process runs below the bwrap the node started).
     */
    public record Recorded(
            String path,
            String apiKey,
            String authorization,
            long pid,
            String body,
            List<Long> ancestors,
            String remote) {
        /** Whether the request carries this text (a prompt names its session: "Say hello to alice"). */
        public boolean mentions(String text) {
            return body.contains(text);
        }

        /** The token of an {@code Authorization: Bearer} header (how a Claude subscription is sent), else null. */
        String bearer() {
            return authorization != null && authorization.startsWith("Bearer ") ? authorization.substring(7) : null;
        }

        /** From worker {@code pid} of {@code session} (by the session's own base URL when the process was not told). */
        boolean from(String session, long workerPid) {
            return pid == workerPid
                    || (pid != -1 && ancestors.contains(workerPid))
                    || (pid == -1 && path.startsWith("/" + session + "/"));
        }
    }

    private static final String TEXT = "Hello from the fake Anthropic endpoint";
    /** The usage every completion reports: input in message_start, the final output count in message_delta. */
    static final int INPUT_TOKENS = 5;

    static final int OUTPUT_TOKENS = 8;
    private final HttpServer server;
    private final List<Recorded> requests = new CopyOnWriteArrayList<>();
    /** Api keys whose account is rate limited: their requests get 429 with retry-after one hour. */
    private final java.util.Set<String> limited = java.util.concurrent.ConcurrentHashMap.newKeySet();

    FakeAnthropic() throws IOException {
        this(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    /** On another address: the real node's pods reach it on the host's address (port 443, as the provider's). */
    public FakeAnthropic(InetSocketAddress bind) throws IOException {
        server = HttpServer.create(bind, 50);
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fake-anthropic");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/", this::handle);
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public List<Recorded> requests() {
        return List.copyOf(requests);
    }

    static List<Long> ancestors(long pid) {
        List<Long> out = new java.util.ArrayList<>();
        var parent = ProcessHandle.of(pid).flatMap(ProcessHandle::parent);
        while (parent.isPresent() && out.size() < 16) {
            out.add(parent.get().pid());
            parent = parent.get().parent();
        }
        return out;
    }

    /** From now on the account of this api key answers 429 (retry-after 3600), as an exhausted account does. */
    void rateLimit(String apiKey) {
        limited.add(apiKey);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange;
                InputStream in = exchange.getRequestBody()) {
            String requestBody = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            long pid = exchange.getRemoteAddress().getAddress().isLoopbackAddress()
                    ? SocketOwners.pidOfLoopbackClient(
                            exchange.getRemoteAddress().getPort(), port())
                    : -1;
            requests.add(new Recorded(
                    exchange.getRequestURI().getPath(),
                    exchange.getRequestHeaders().getFirst("x-api-key"),
                    exchange.getRequestHeaders().getFirst("authorization"),
                    pid,
                    requestBody,
                    ancestors(pid),
                    exchange.getRemoteAddress().getAddress().getHostAddress()));
            if (!"POST".equals(exchange.getRequestMethod())
                    || !exchange.getRequestURI().getPath().endsWith("/messages")) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            String key = exchange.getRequestHeaders().getFirst("x-api-key");
            if (key != null && limited.contains(key)) {
                byte[] error = ("{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\","
                                + "\"message\":\"fake: this account is rate limited\"}}")
                        .getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.getResponseHeaders().add("retry-after", "3600");
                exchange.sendResponseHeaders(429, error.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(error);
                }
                return;
            }
            byte[] body = stream().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    /** The six events of a streamed Messages API completion with one text block. */
    private static String stream() {
        return event(
                        "message_start",
                        "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_fake\",\"type\":\"message\","
                                + "\"role\":\"assistant\",\"model\":\"fake\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,"
                                + "\"usage\":{\"input_tokens\":" + INPUT_TOKENS + ",\"output_tokens\":1}}}")
                + event(
                        "content_block_start",
                        "{\"type\":\"content_block_start\",\"index\":0,"
                                + "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}")
                + event(
                        "content_block_delta",
                        "{\"type\":\"content_block_delta\",\"index\":0,"
                                + "\"delta\":{\"type\":\"text_delta\",\"text\":\"" + TEXT + "\"}}")
                + event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}")
                + event(
                        "message_delta",
                        "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\","
                                + "\"stop_sequence\":null},\"usage\":{\"output_tokens\":" + OUTPUT_TOKENS + "}}")
                + event("message_stop", "{\"type\":\"message_stop\"}");
    }

    private static String event(String name, String data) {
        return "event: " + name + "\ndata: " + data + "\n\n";
    }

    /** Requests by credential header per worker of each session, redacted to their prefix, one line per worker. */
    String summary(Map<String, List<Long>> pids) {
        StringBuilder out = new StringBuilder();
        for (var e : new TreeMap<>(pids).entrySet()) {
            for (long pid : e.getValue()) {
                var byHeader = requests.stream()
                        .filter(r -> r.from(e.getKey(), pid))
                        .collect(Collectors.groupingBy(
                                r -> "x-api-key=" + redact(r.apiKey()) + " authorization=" + redact(r.authorization()),
                                TreeMap::new,
                                Collectors.counting()));
                out.append(String.format("  %-5s worker pid %-7d requests by header: %s%n", e.getKey(), pid, byHeader));
            }
        }
        long unattributed = requests.stream().filter(r -> r.pid() == -1).count();
        return out.append("  requests whose process could not be told (attributed by base URL): ")
                .append(unattributed)
                .append('\n')
                .toString();
    }

    /**
     * Up to the third '-' (at most 16 characters): "sk-alice-0001-…", "sk-ant-api03-…", "Bearer oat-alice-0002-…";
     * never the secret part.
     */
    static String redact(String value) {
        if (value == null) {
            return "none";
        }
        if (value.startsWith("Bearer ")) {
            return "Bearer " + redact(value.substring(7));
        }
        int cut = -1;
        for (int i = 0, dashes = 0; i < value.length() && i < 16; i++) {
            if (value.charAt(i) == '-' && ++dashes == 3) {
                cut = i + 1;
                break;
            }
        }
        return value.substring(0, cut > 0 ? cut : Math.min(4, value.length())) + "…";
    }

    public static String text() {
        return TEXT;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
