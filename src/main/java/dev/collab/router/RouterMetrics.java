package dev.collab.router;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/** The router's Micrometer meters (Prometheus names: collab_router_*). */
public class RouterMetrics {
    private final Counter[] requests = new Counter[6];
    private final Timer upstreamLatency;
    private final AtomicInteger openStreams = new AtomicInteger();
    private final Counter wakeWoken;
    private final Counter wakeTimedOut;
    private final Counter activityWrites;
    private final Counter upstreamRetries;

    public RouterMetrics(MeterRegistry registry) {
        for (int i = 1; i <= 5; i++) {
            requests[i] = Counter.builder("collab.router.requests")
                    .description("Requests answered by the router, by status class")
                    .tag("class", i + "xx")
                    .register(registry);
        }
        upstreamLatency = Timer.builder("collab.router.upstream.latency")
                .description("Time from sending a request upstream to its response headers")
                .register(registry);
        Gauge.builder("collab.router.open.streams", openStreams, AtomicInteger::get)
                .description("Open SSE streams and WebSocket tunnels")
                .register(registry);
        wakeWoken = Counter.builder("collab.router.wake.events")
                .description("Requests that woke or waited for a session")
                .tag("outcome", "ready")
                .register(registry);
        wakeTimedOut = Counter.builder("collab.router.wake.events")
                .description("Requests that woke or waited for a session")
                .tag("outcome", "timeout")
                .register(registry);
        activityWrites = Counter.builder("collab.router.activity.writes")
                .description("Writes of the collab.dev/last-activity annotation")
                .register(registry);
        upstreamRetries = Counter.builder("collab.router.upstream.retries")
                .description("Requests a worker never answered, held and sent once more to the session's next worker")
                .register(registry);
    }

    public void request(int status) {
        int cls = status / 100;
        if (cls >= 1 && cls <= 5) {
            requests[cls].increment();
        }
    }

    public void upstreamLatency(long nanos) {
        upstreamLatency.record(Duration.ofNanos(nanos));
    }

    public void streamOpened() {
        openStreams.incrementAndGet();
    }

    public void streamClosed() {
        openStreams.decrementAndGet();
    }

    public int openStreams() {
        return openStreams.get();
    }

    public void wake(boolean ready) {
        (ready ? wakeWoken : wakeTimedOut).increment();
    }

    public void activityWrite() {
        activityWrites.increment();
    }

    public double activityWrites() {
        return activityWrites.count();
    }

    public void upstreamRetry() {
        upstreamRetries.increment();
    }

    public double upstreamRetries() {
        return upstreamRetries.count();
    }

    public double wakes(boolean ready) {
        return (ready ? wakeWoken : wakeTimedOut).count();
    }
}
