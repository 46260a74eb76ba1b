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
    private final Timer wakeReady;
    private final Timer wakeTimeout;

    public RouterMetrics(MeterRegistry registry) {
        for (int i = 1; i <= 5; i++) {
            requests[i] = Counter.builder("collab.router.requests")
                    .description("Requests answered by the router, by status class")
                    .tag("class", i + "xx")
                    .register(registry);
        }
        upstreamLatency = Timer.builder("collab.router.upstream.latency")
                .description("Time from sending a request upstream to its response headers")
                .serviceLevelObjectives(seconds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
                .register(registry);
        wakeReady = wakeTimer(registry, "ready");
        wakeTimeout = wakeTimer(registry, "timeout");
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

    /** The wait of a request for a stopped or starting session, until its worker is Ready or the wait times out. */
    private static Timer wakeTimer(MeterRegistry registry, String outcome) {
        return Timer.builder("collab.router.wake")
                .description("How long requests waited for a stopped or starting session, by outcome")
                .tag("outcome", outcome)
                .serviceLevelObjectives(seconds(0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60))
                .register(registry);
    }

    private static Duration[] seconds(double... values) {
        Duration[] out = new Duration[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Duration.ofNanos(Math.round(values[i] * 1e9));
        }
        return out;
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

    public void wake(boolean ready, long waitedNanos) {
        (ready ? wakeWoken : wakeTimedOut).increment();
        (ready ? wakeReady : wakeTimeout).record(Duration.ofNanos(Math.max(0, waitedNanos)));
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
