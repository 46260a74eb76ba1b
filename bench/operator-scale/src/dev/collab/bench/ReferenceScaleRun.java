package dev.collab.bench;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The reference beside the operator (BENCH_REFERENCE=go): after the operator's round on the real control plane, the
 * same ramp on a fresh control plane with bench/operator-scale/reference (a minimal client-go controller making the
 * operator's writes) in place of the operator: same fake kubelet, same observer, same creation, same identity (the
 * operator's ServiceAccount, so its requests are counted from the audit log alike), its own User-Agent.
 */
final class ReferenceScaleRun {
    /** The reference controller's binary (run.sh builds it with reference/build.sh), or null: no reference round. */
    static final String BINARY = blankToNull(System.getProperty("bench.referenceBin"));

    private static final Path SEED_SCRIPT = Path.of("src/main/resources/dev/collab/operator/seed-home.sh");

    /** The operator's Result and the reference's, for one size. */
    record Pair(Result operator, Result reference) {}

    private ReferenceScaleRun() {}

    static Result run(Path out, int n) throws Exception {
        try (RealScaleApi api = new RealScaleApi();
                OperatorScaleBench harness = new OperatorScaleBench(null, out, n, api)) {
            harness.startHarness();
            Process reference = start(api, out, n);
            try {
                awaitReady(api, reference, out, n);
                Thread.sleep(2000);
                Result r = new Result(n, "go-reference");
                harness.ramp(r, reference.pid());
                Map<String, Long> s0 = api.snapshot();
                Thread.sleep(OperatorScaleBench.STEADY_SECONDS * 1000L);
                r.steady = OperatorScaleBench.diff(s0, api.snapshot());
                r.rssKb = ProcessCpu.statusKb(reference.pid(), "VmRSS");
                r.hwmKb = ProcessCpu.statusKb(reference.pid(), "VmHWM");
                System.out.println(report(r, api.userAgents()));
                return r;
            } finally {
                reference.destroy();
                if (!reference.waitFor(20, TimeUnit.SECONDS)) {
                    reference.destroyForcibly();
                }
            }
        }
    }

    private static Process start(RealScaleApi api, Path out, int n) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(BINARY, "--namespace=" + OperatorScaleBench.NS));
        cmd.addAll(api.referenceFlags());
        cmd.add("--seed-script=" + SEED_SCRIPT.toAbsolutePath());
        System.out.println("reference: " + String.join(" ", cmd));
        ProcessBuilder builder =
                new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log(out, n));
        builder.environment().putAll(api.referenceEnv());
        return builder.start();
    }

    private static File log(Path out, int n) {
        return out.resolve("reference-real-" + n + ".log").toFile();
    }

    /** Leading, informers up: its collabsessions WATCH is in the audit log (as the operator's readiness check). */
    private static void awaitReady(RealScaleApi api, Process reference, Path out, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!reference.isAlive()) {
                throw new IllegalStateException("reference controller exited: see " + log(out, n));
            }
            if (api.snapshot().keySet().stream().anyMatch(k -> k.startsWith("operator WATCH collabsessions"))) {
                return;
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("reference controller not watching sessions in 60 s: see " + log(out, n));
    }

    private static String report(Result r, Map<String, Long> userAgents) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%n==== Go reference controller, real API, N = %d ====%n", r.n));
        b.append(String.format(
                Locale.ROOT,
                "created in %.1f s; %d/%d Running after %.1f s%n",
                r.createSeconds,
                r.running,
                r.n,
                r.runningSeconds));
        b.append(String.format(
                Locale.ROOT,
                "reference CPU during the ramp: %.1f s (%.2f ms per session); kube-apiserver + etcd %.1f s (%.1f ms)%n",
                r.operatorCpuSeconds,
                r.operatorCpuSeconds * 1000 / r.n,
                r.serverCpuSeconds,
                r.serverCpuSeconds * 1000 / r.n));
        b.append(String.format(
                Locale.ROOT,
                "API requests per session to Running: writes %.2f, reads %.2f, events %.2f, watch opens %d,"
                        + " lease requests %d%n",
                Result.writes(r.ramp) / (double) r.n,
                Result.reads(r.ramp) / (double) r.n,
                Result.events(r.ramp) / (double) r.n,
                Result.watches(r.ramp),
                Result.lease(r.ramp)));
        b.append("  ramp requests: ").append(Result.operatorBreakdown(r.ramp)).append('\n');
        b.append(String.format(
                Locale.ROOT,
                "steady state (%d s): %s%n",
                OperatorScaleBench.STEADY_SECONDS,
                Result.operatorBreakdown(r.steady)));
        b.append(String.format(Locale.ROOT, "reference RSS %d MiB (peak %d MiB)%n", r.rssKb / 1024, r.hwmKb / 1024));
        b.append("requests of the operator's ServiceAccount on this control plane by User-Agent: ")
                .append(userAgents)
                .append('\n');
        return b.toString();
    }

    /** The operator beside the reference, size by size, and the ratio the goal is about (operator <= 2x). */
    static String table(List<Pair> pairs) {
        if (pairs.isEmpty()) {
            return "";
        }
        StringBuilder b = new StringBuilder("\n| figure (real API) |");
        pairs.forEach(p -> b.append(String.format(
                Locale.ROOT,
                " operator N=%d | Go reference N=%d | operator / reference |",
                p.operator.n,
                p.reference.n)));
        b.append("\n|---|");
        pairs.forEach(p -> b.append("---|---|---|"));
        b.append('\n');
        row(
                b,
                pairs,
                "controller CPU per session to Running (goal: operator <= 2x)",
                r -> r.operatorCpuSeconds * 1000 / r.n,
                "%.2f ms");
        row(b, pairs, "kube-apiserver + etcd CPU per session", r -> r.serverCpuSeconds * 1000 / r.n, "%.1f ms");
        row(b, pairs, "created -> all Running", r -> r.runningSeconds, "%.1f s");
        row(b, pairs, "API writes per session (Events apart)", r -> Result.writes(r.ramp) / (double) r.n, "%.2f");
        row(b, pairs, "Events per session", r -> Result.events(r.ramp) / (double) r.n, "%.2f");
        row(b, pairs, "API reads per session", r -> Result.reads(r.ramp) / (double) r.n, "%.2f");
        row(
                b,
                pairs,
                "steady state: lease requests/min",
                r -> Result.lease(r.steady) * 60.0 / OperatorScaleBench.STEADY_SECONDS,
                "%.0f");
        row(b, pairs, "RSS after the ramp", r -> r.rssKb / 1024.0, "%.0f MiB");
        return b.toString();
    }

    private static void row(
            StringBuilder b, List<Pair> pairs, String label, Function<Result, Double> f, String format) {
        b.append("| ").append(label).append(" |");
        for (Pair p : pairs) {
            double op = f.apply(p.operator);
            double ref = f.apply(p.reference);
            b.append(' ').append(String.format(Locale.ROOT, format, op)).append(" | ");
            b.append(String.format(Locale.ROOT, format, ref)).append(" | ");
            b.append(ref == 0 ? "-" : String.format(Locale.ROOT, "%.1fx", op / ref))
                    .append(" |");
        }
        b.append('\n');
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
