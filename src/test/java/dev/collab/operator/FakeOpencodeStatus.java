package dev.collab.operator;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A real HTTP server on loopback answering opencode's GET /session/status like a busy or idle agent, and its health. */
final class FakeOpencodeStatus implements AutoCloseable {
    private final HttpServer server;
    private volatile String body = "{}";
    final List<String> authorizations = new CopyOnWriteArrayList<>();
    /** Authorization headers of GET /global/health requests. */
    final List<String> healthChecks = new CopyOnWriteArrayList<>();

    FakeOpencodeStatus() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/session/status", exchange -> {
            authorizations.add(exchange.getRequestHeaders().getFirst("Authorization"));
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.createContext("/global/health", exchange -> {
            healthChecks.add(exchange.getRequestHeaders().getFirst("Authorization"));
            byte[] bytes = "{\"healthy\":true}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    void busy() {
        body = "{\"ses_1\":{\"type\":\"idle\"},\"ses_2\":{\"type\":\"busy\"}}";
    }

    void idle() {
        body = "{\"ses_1\":{\"type\":\"idle\"}}";
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
