package dev.collab.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Holds the start of a 200 event stream until its first content event, so that a {@code rate_limit_error} or
 * {@code overloaded_error} event sent before any content can be answered by retrying on another account while the
 * client has seen nothing. {@code message_start} and {@code ping} are held; any other event (or more than
 * {@link #MAX_HELD} bytes) releases everything held, in order. Used only when another account could take the retry.
 */
final class StreamGate {
    static final int MAX_HELD = 64 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    enum Verdict {
        HOLD,
        RELEASE,
        REJECT
    }

    private final Buffer held = Buffer.buffer();
    private int scanned;
    private String rejectedType;

    /** Adds a chunk; HOLD: keep waiting, RELEASE: send {@link #held()} and stream on, REJECT: retry elsewhere. */
    Verdict feed(Buffer chunk) {
        held.appendBuffer(chunk);
        String text = held.getString(scanned, held.length(), StandardCharsets.UTF_8.name());
        int consumed = 0;
        while (true) {
            int end = eventEnd(text, consumed);
            if (end < 0) {
                break;
            }
            Verdict v = judge(text.substring(consumed, end));
            if (v != Verdict.HOLD) {
                return v;
            }
            consumed = end;
        }
        scanned += text.substring(0, consumed).getBytes(StandardCharsets.UTF_8).length;
        return held.length() > MAX_HELD ? Verdict.RELEASE : Verdict.HOLD;
    }

    Buffer held() {
        return held;
    }

    /** The error type of a REJECT. */
    String rejectedType() {
        return rejectedType;
    }

    /** Index just past the blank line that ends the event starting at {@code from}, or -1. */
    private static int eventEnd(String text, int from) {
        int lf = text.indexOf("\n\n", from);
        int crlf = text.indexOf("\r\n\r\n", from);
        if (lf < 0 && crlf < 0) {
            return -1;
        }
        if (crlf >= 0 && (lf < 0 || crlf < lf)) {
            return crlf + 4;
        }
        return lf + 2;
    }

    private Verdict judge(String event) {
        String name = null;
        StringBuilder data = new StringBuilder();
        for (String line : event.split("\r?\n")) {
            if (line.startsWith("event:")) {
                name = line.substring(6).trim();
            } else if (line.startsWith("data:")) {
                data.append(line.substring(5).trim());
            }
        }
        if (name == null && data.isEmpty()) {
            return Verdict.HOLD; // a comment or keep-alive
        }
        String type = name;
        JsonNode json = null;
        try {
            json = data.isEmpty() ? null : JSON.readTree(data.toString());
        } catch (IOException e) {
            // not JSON: judged by its event name
        }
        if (json != null && json.path("type").isTextual()) {
            type = json.path("type").asText();
        }
        if ("message_start".equals(type) || "ping".equals(type)) {
            return Verdict.HOLD;
        }
        if ("error".equals(type) && json != null) {
            String errorType = json.path("error").path("type").asText();
            if (RateLimits.exhaustedType(errorType)) {
                rejectedType = errorType;
                return Verdict.REJECT;
            }
        }
        return Verdict.RELEASE;
    }
}
