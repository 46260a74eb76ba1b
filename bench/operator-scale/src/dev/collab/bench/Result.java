package dev.collab.bench;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/** The figures of one run and how they print. Operator requests only, counted at the mock server. */
final class Result {
    private static final Set<String> WRITES = Set.of("POST", "PUT", "PATCH", "DELETE");
    private static final Set<String> READS = Set.of("GET", "LIST");

    final int n;
    final String api;
    double createSeconds;
    double serverCpuSeconds;
    double operatorCpuSeconds;
    /** Of operatorCpuSeconds, the JIT compiler threads' (a one-time cost of a fresh JVM). */
    double operatorJitSeconds;
    /** The last session Running, seconds after the bench's last create returned. */
    double afterLastCreateSeconds;

    double runningSeconds;
    int running;
    Map<String, Long> ramp;
    double reconciles;
    double reconcilesPerSecond;
    int kubeletUpdates;
    Map<String, Long> steady;
    double steadyReconciles;
    long rssKb;
    long hwmKb;
    long rssEndKb;
    String heapAfterGc;
    double noopReconciles;
    Map<String, Long> noop;
    int idleCount;
    double idlePatchSeconds;
    int idleStopped;
    int idleEarly;
    long idleLagP50;
    long idleLagMax;
    Map<String, Long> idle;

    Result(int n, String api) {
        this.n = n;
        this.api = api;
    }

    /** Sum of operator requests whose verb is in `verbs` and whose kind passes `kind`. */
    static long count(Map<String, Long> counts, Set<String> verbs, Predicate<String> kind) {
        long sum = 0;
        for (var e : counts.entrySet()) {
            String[] p = e.getKey().split(" ", 3);
            if (p[0].equals("operator") && verbs.contains(p[1]) && kind.test(p[2])) {
                sum += e.getValue();
            }
        }
        return sum;
    }

    static long writes(Map<String, Long> c) {
        return count(c, WRITES, k -> !k.equals("events") && !k.equals("leases"));
    }

    static long reads(Map<String, Long> c) {
        return count(c, READS, k -> !k.equals("leases"));
    }

    static long events(Map<String, Long> c) {
        return count(c, Set.of("POST"), k -> k.equals("events"));
    }

    static long lease(Map<String, Long> c) {
        return count(c, Set.of("GET", "PUT", "POST", "PATCH"), k -> k.equals("leases"));
    }

    static long watches(Map<String, Long> c) {
        return count(c, Set.of("WATCH"), k -> true);
    }

    static String operatorBreakdown(Map<String, Long> c) {
        return c.entrySet().stream()
                .filter(e -> e.getKey().startsWith("operator "))
                .map(e -> e.getKey().substring("operator ".length()) + "=" + e.getValue())
                .collect(Collectors.joining(", "));
    }

    String report() {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%n==== %s API, N = %d ====%n", api, n));
        b.append(String.format(
                Locale.ROOT,
                "created (Secret + CollabSession each) in %.1f s; %d/%d Running after %.1f s"
                        + " (goal: 1000 < 20 s, 5000 < 60 s)%n",
                createSeconds,
                running,
                n,
                runningSeconds));
        b.append(String.format(
                Locale.ROOT,
                "operator CPU during the ramp: %.1f s (%.1f ms per session), of which JIT compilation %.1f s"
                        + " (%.1f ms per session without it)%n",
                operatorCpuSeconds,
                operatorCpuSeconds * 1000 / n,
                operatorJitSeconds,
                (operatorCpuSeconds - operatorJitSeconds) * 1000 / n));
        b.append(String.format(
                Locale.ROOT,
                "last session Running %.1f s after the last create (goal < 3 s)%n",
                afterLastCreateSeconds));
        if (serverCpuSeconds >= 0) {
            b.append(String.format(
                    Locale.ROOT, "kube-apiserver + etcd CPU during the ramp: %.1f s%n", serverCpuSeconds));
        }
        b.append(String.format(
                Locale.ROOT,
                "reconciles during ramp: %.0f (%.2f per session), %.1f per second%n",
                reconciles,
                reconciles / n,
                reconcilesPerSecond));
        b.append(String.format(
                Locale.ROOT,
                "API requests per session to Running: writes %.2f (goal <= 5), reads %.2f,"
                        + " events %.2f (separate), watch opens %d, lease requests %d%n",
                writes(ramp) / (double) n,
                reads(ramp) / (double) n,
                events(ramp) / (double) n,
                watches(ramp),
                lease(ramp)));
        b.append("  ramp operator requests: ").append(operatorBreakdown(ramp)).append('\n');
        b.append(String.format(
                Locale.ROOT,
                "steady state (%d s, nothing changing): %d reconciles, writes %d, reads %d,"
                        + " events %d, watch opens %d, lease requests %d -> %.1f non-lease requests/min (goal ~0)%n",
                OperatorScaleBench.STEADY_SECONDS,
                (long) steadyReconciles,
                writes(steady),
                reads(steady),
                events(steady),
                watches(steady),
                lease(steady),
                (writes(steady) + reads(steady) + events(steady)) * 60.0 / OperatorScaleBench.STEADY_SECONDS));
        b.append(String.format(
                Locale.ROOT,
                "operator memory: RSS %d MiB (peak %d MiB; goal < 250 MiB), %s%n",
                rssKb / 1024,
                hwmKb / 1024,
                heapAfterGc));
        b.append(String.format(
                Locale.ROOT,
                "no-op reconciles (label nudge on %d sessions): %.0f reconciles, writes %d,"
                        + " reads %d, events %d -> %.2f writes per reconcile (goal 0)%n",
                Math.max(1, n / 10),
                noopReconciles,
                writes(noop),
                reads(noop),
                events(noop),
                writes(noop) / Math.max(1.0, noopReconciles)));
        b.append(String.format(
                Locale.ROOT,
                "idle: %d sessions expire together (patched in %.1f s); %d stopped, %d early;"
                        + " stop - expiry p50 %d ms, max %d ms (goal < 5000 ms); writes %d (%.2f per stop), events %d, reads %d%n",
                idleCount,
                idlePatchSeconds,
                idleStopped,
                idleEarly,
                idleLagP50,
                idleLagMax,
                writes(idle),
                writes(idle) / Math.max(1.0, idleStopped),
                events(idle),
                reads(idle)));
        b.append("  idle operator requests: ").append(operatorBreakdown(idle)).append('\n');
        b.append(String.format(Locale.ROOT, "operator RSS at the end: %d MiB%n", rssEndKb / 1024));
        return b.toString();
    }

    static String table(List<Result> results) {
        StringBuilder b = new StringBuilder();
        b.append("| figure | goal |");
        results.forEach(
                r -> b.append(" ").append(r.api).append(" N=").append(r.n).append(" |"));
        b.append("\n|---|---|");
        results.forEach(r -> b.append("---|"));
        b.append('\n');
        row(
                b,
                results,
                "created -> all Running",
                "1000 < 20 s; 5000 < 60 s",
                r -> String.format(
                        Locale.ROOT, "%.1f s%s", r.runningSeconds, r.running < r.n ? " (" + r.running + " only)" : ""));
        row(
                b,
                results,
                "kube-apiserver + etcd CPU during the ramp (per session)",
                "-",
                r -> r.serverCpuSeconds < 0
                        ? "(in the bench JVM)"
                        : String.format(
                                Locale.ROOT, "%.1f s (%.1f ms)", r.serverCpuSeconds, r.serverCpuSeconds * 1000 / r.n));
        row(
                b,
                results,
                "operator CPU during the ramp (per session)",
                "-",
                r -> String.format(
                        Locale.ROOT, "%.1f s (%.1f ms)", r.operatorCpuSeconds, r.operatorCpuSeconds * 1000 / r.n));
        row(
                b,
                results,
                "of which JIT compilation (per session without it)",
                "-",
                r -> String.format(
                        Locale.ROOT,
                        "%.1f s (%.1f ms)",
                        r.operatorJitSeconds,
                        (r.operatorCpuSeconds - r.operatorJitSeconds) * 1000 / r.n));
        row(
                b,
                results,
                "last Running after the last create",
                "< 3 s at 1000",
                r -> String.format(Locale.ROOT, "%.1f s", r.afterLastCreateSeconds));
        row(
                b,
                results,
                "time to create the objects (bench client)",
                "-",
                r -> String.format(Locale.ROOT, "%.1f s", r.createSeconds));
        row(
                b,
                results,
                "reconciles/s during ramp (reconciles per session)",
                "-",
                r -> String.format(Locale.ROOT, "%.0f (%.2f)", r.reconcilesPerSecond, r.reconciles / r.n));
        row(
                b,
                results,
                "API writes per session to Running (Events apart)",
                "<= 5",
                r -> String.format(Locale.ROOT, "%.2f", writes(r.ramp) / (double) r.n));
        row(
                b,
                results,
                "API reads per session to Running",
                "-",
                r -> String.format(Locale.ROOT, "%.2f", reads(r.ramp) / (double) r.n));
        row(
                b,
                results,
                "Events per session to Running (separate)",
                "-",
                r -> String.format(Locale.ROOT, "%.2f", events(r.ramp) / (double) r.n));
        row(
                b,
                results,
                "writes per no-op reconcile",
                "0",
                r -> String.format(
                        Locale.ROOT,
                        "%.2f (%d/%.0f)",
                        writes(r.noop) / Math.max(1.0, r.noopReconciles),
                        writes(r.noop),
                        r.noopReconciles));
        row(
                b,
                results,
                "steady state: requests/min beyond watches and lease",
                "~0",
                r -> String.format(
                        Locale.ROOT,
                        "%.1f",
                        (writes(r.steady) + reads(r.steady) + events(r.steady))
                                * 60.0
                                / OperatorScaleBench.STEADY_SECONDS));
        row(
                b,
                results,
                "steady state: lease requests/min (leader election)",
                "-",
                r -> String.format(Locale.ROOT, "%.0f", lease(r.steady) * 60.0 / OperatorScaleBench.STEADY_SECONDS));
        row(
                b,
                results,
                "operator RSS (peak)",
                "< 250 MiB",
                r -> String.format(Locale.ROOT, "%d MiB (%d MiB)", r.rssKb / 1024, r.hwmKb / 1024));
        row(b, results, "heap after full GC", "-", r -> r.heapAfterGc);
        row(
                b,
                results,
                "idle stop - timeout expiry, p50 / max (10% of sessions)",
                "< 5 s at 5000",
                r -> String.format(
                        Locale.ROOT,
                        "%.1f s / %.1f s (%d/%d)",
                        r.idleLagP50 / 1000.0,
                        r.idleLagMax / 1000.0,
                        r.idleStopped,
                        r.idleCount));
        row(
                b,
                results,
                "writes per idle stop (+ Events)",
                "-",
                r -> String.format(
                        Locale.ROOT,
                        "%.2f (+%.2f)",
                        writes(r.idle) / Math.max(1.0, r.idleStopped),
                        events(r.idle) / Math.max(1.0, r.idleStopped)));
        return b.toString();
    }

    private static void row(
            StringBuilder b,
            List<Result> results,
            String label,
            String goal,
            java.util.function.Function<Result, String> cell) {
        b.append("| ").append(label).append(" | ").append(goal).append(" |");
        results.forEach(r -> b.append(' ').append(cell.apply(r)).append(" |"));
        b.append('\n');
    }
}
