package dev.collab.router;

import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Replaces a session's known secret values (its credential Secret's keys and tokens, its server password) in a
 * response as it streams (opencode's event streams and message reads carry tool output, which may print a key: issue
 * 30),
 * without buffering the stream. A secret split across chunks is caught by a carry-over: the tail of a chunk that could
 * be the start of a secret waits for the next chunk, so at most the longest secret's length minus one byte is held,
 * and only while the tail matches the start of a secret (an SSE event ends in a newline, which none begins with, so
 * events are not delayed). One instance per response, used from its event loop only.
 */
final class StreamRedactor {
    /** Shorter values are not redacted: a few characters would garble ordinary output everywhere. */
    static final int MIN_SECRET_LENGTH = 8;

    private static final byte[] REDACTED = SecretRedaction.REDACTED.getBytes(StandardCharsets.UTF_8);
    private static final byte[] NOTHING = new byte[0];

    /** Longest first, so the longest secret at a position wins. */
    private final byte[][] secrets;

    private byte[] carry = NOTHING;

    StreamRedactor(Collection<String> values) {
        this.secrets = values.stream()
                .filter(v -> v != null && v.length() >= MIN_SECRET_LENGTH)
                .distinct()
                .map(v -> v.getBytes(StandardCharsets.UTF_8))
                .sorted(Comparator.comparingInt((byte[] b) -> b.length).reversed())
                .toArray(byte[][]::new);
    }

    /**
     * Whether a response is redacted: every event stream ({@code /event}, {@code /global/event}, ...), and the JSON of
     * a session's messages ({@code /session/{id}/message...}, where tool output lands), matched as opencode matches
     * paths (case-insensitive, empty segments ignored). Other JSON keeps its Content-Length and passes as it is.
     */
    static boolean applies(String contentType, String upstreamUri) {
        if (contentType == null) {
            return false;
        }
        String type = contentType.toLowerCase(Locale.ROOT);
        if (type.startsWith("text/event-stream")) {
            return true;
        }
        int query = upstreamUri.indexOf('?');
        String path = query < 0 ? upstreamUri : upstreamUri.substring(0, query);
        return type.startsWith("application/json")
                && mentionsMessage(path)
                && MESSAGES.matcher(path).matches();
    }

    /** A cheap necessary condition of {@link #MESSAGES} (asked for every JSON answer): the path names "message". */
    private static boolean mentionsMessage(String path) {
        for (int i = path.length() - 7; i >= 0; i--) {
            if (path.regionMatches(true, i, "message", 0, 7)) {
                return true;
            }
        }
        return false;
    }

    private static final Pattern MESSAGES = Pattern.compile("(?i)/+session/+[^/]+/+message(/.*)?");

    boolean active() {
        return secrets.length > 0;
    }

    /** What can be sent of the stream so far, this chunk included. */
    Buffer feed(Buffer chunk) {
        byte[] in = carry.length == 0 ? chunk.getBytes() : concat(carry, chunk.getBytes());
        ByteArrayOutputStream out = new ByteArrayOutputStream(in.length);
        int i = 0;
        while (i < in.length) {
            byte[] hit = secretAt(in, i);
            if (hit != null) {
                out.writeBytes(REDACTED);
                i += hit.length;
            } else if (startsASecret(in, i)) {
                break; // the rest may be the start of a secret: wait for the next chunk
            } else {
                out.write(in[i]);
                i++;
            }
        }
        carry = i == in.length ? NOTHING : Arrays.copyOfRange(in, i, in.length);
        return Buffer.buffer(out.toByteArray());
    }

    /** The held tail at the end of the stream (it turned out not to be a secret). */
    Buffer finish() {
        Buffer rest = Buffer.buffer(carry);
        carry = NOTHING;
        return rest;
    }

    private byte[] secretAt(byte[] in, int at) {
        for (byte[] s : secrets) {
            if (s.length <= in.length - at && regionEquals(in, at, s, s.length)) {
                return s;
            }
        }
        return null;
    }

    /** Whether in[at..] (shorter than some secret) is that secret's beginning. */
    private boolean startsASecret(byte[] in, int at) {
        int rest = in.length - at;
        for (byte[] s : secrets) {
            if (rest < s.length && regionEquals(in, at, s, rest)) {
                return true;
            }
        }
        return false;
    }

    private static boolean regionEquals(byte[] in, int at, byte[] secret, int length) {
        for (int k = 0; k < length; k++) {
            if (in[at + k] != secret[k]) {
                return false;
            }
        }
        return true;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
