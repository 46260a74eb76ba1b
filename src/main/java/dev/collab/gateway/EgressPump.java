package dev.collab.gateway;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import io.vertx.core.streams.WriteStream;
import java.util.function.LongConsumer;

/**
 * Copies one direction of an egress connection and counts its bytes as they pass (a tunnel is bytes: nothing is
 * parsed or buffered beyond the socket's own queue). The source pauses while the destination's queue is full.
 */
final class EgressPump {
    private EgressPump() {}

    static void pump(ReadStream<Buffer> from, WriteStream<Buffer> to, LongConsumer counted, Runnable ended) {
        from.handler(buf -> {
            counted.accept(buf.length());
            to.write(buf);
            if (to.writeQueueFull()) {
                from.pause();
                to.drainHandler(v -> from.resume());
            }
        });
        from.endHandler(v -> ended.run());
    }
}
