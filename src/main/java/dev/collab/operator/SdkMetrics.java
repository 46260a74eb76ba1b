package dev.collab.operator;

import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * JOSDK metrics per controller, not per resource. The extension's default collects every meter once
 * per CollabSession (a reconcile-time histogram of ~70 series, counters, gauges, each tagged with the
 * session name): measured at ~22 KiB of /q/metrics per session, i.e. ~110 MiB of text and as many
 * live meters at 5,000 sessions (bench/operator-scale). Per-session facts are in the CollabSession
 * status and the collab_* metrics.
 */
@ApplicationScoped
public class SdkMetrics {

    @Produces
    @Singleton
    Metrics metrics(MeterRegistry registry) {
        return MicrometerMetrics.withoutPerResourceMetrics(registry);
    }
}
