package dev.collab.testing.node;

import dev.collab.local.controlplane.ControlPlaneFiles;
import dev.collab.local.controlplane.ManagedProcess;
import dev.collab.testing.ControlPlane;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * One real Kubernetes node beside a real control plane, for the {@code *NodeIT} tier: containerd and runc run the
 * containers, Debian's CNI plugins wire them to a bridge, the kubelet runs the pods, kube-scheduler binds them,
 * kube-proxy programs Services, kube-router's policy controller enforces NetworkPolicies, CoreDNS answers cluster
 * DNS, and local PersistentVolumes back PVCs. Images come from archives built here ({@code tools/images/build.sh}),
 * imported into containerd: no registry is involved.
 *
 * <p>Everything the node does to this machine (processes, mounts, bridge, iptables rules, cgroups) is undone by
 * {@code tools/node/cleanup.sh}, run before the start (a killed run's leftovers) and at {@link #close}.
 */
public final class RealNode implements AutoCloseable {
    private final NodeLayout layout;
    private final ControlPlane plane;
    private final List<ManagedProcess> processes = new ArrayList<>();

    private RealNode(NodeLayout layout, ControlPlane plane) {
        this.layout = layout;
        this.plane = plane;
    }

    /** Starts the node; stops what started when a step fails. */
    public static RealNode start(
            NodeLayout layout, ControlPlane plane, NodeCerts certs, String kubeletToken, NodeImages images) {
        RealNode node = new RealNode(layout, plane);
        try {
            node.startAll(certs, kubeletToken, images);
            return node;
        } catch (IOException e) {
            node.close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException | Error e) {
            String logs = node.logs();
            node.close();
            throw new IllegalStateException("the test node did not start: " + e.getMessage() + "\n" + logs, e);
        }
    }

    private void startAll(NodeCerts certs, String kubeletToken, NodeImages images) throws IOException {
        Files.createDirectories(layout.logs());
        Files.createDirectories(layout.cniConfDir());
        Files.createDirectories(layout.volumes());
        sysctl("net/ipv4/ip_forward", "1");
        sysctl("net/bridge/bridge-nf-call-iptables", "1");
        Files.writeString(layout.containerdConfig(), NodeConfigs.containerd(layout, images.pause()));
        Files.writeString(layout.cniConfDir().resolve("10-collab.conflist"), NodeConfigs.cni(layout));
        Files.writeString(layout.kubeletConfig(), NodeConfigs.kubelet(layout, certs.ca()));
        Path kubeletKubeconfig = layout.dir().resolve("kubelet.kubeconfig");
        Path adminKubeconfig = layout.dir().resolve("admin.kubeconfig");
        ControlPlaneFiles.kubeconfig(kubeletKubeconfig, plane.url(), plane.caCert(), kubeletToken, "");
        ControlPlaneFiles.kubeconfig(adminKubeconfig, plane.url(), plane.caCert(), plane.adminToken(), "");
        Files.writeString(layout.kubeProxyConfig(), NodeConfigs.kubeProxy(layout, adminKubeconfig));

        Map<String, String> path = Map.of("PATH", layout.bin() + ":/usr/sbin:/usr/bin:/sbin:/bin");
        start(
                "containerd",
                path,
                layout.bin("containerd").toString(),
                "--config",
                layout.containerdConfig().toString());
        await("containerd's socket", Duration.ofSeconds(30), () -> Files.exists(layout.containerdSocket()));
        images.archives().forEach(this::importImage);

        start(
                "kubelet",
                path,
                layout.bin("kubelet").toString(),
                "--config",
                layout.kubeletConfig().toString(),
                "--kubeconfig",
                kubeletKubeconfig.toString(),
                "--hostname-override",
                layout.nodeName(),
                "--node-ip",
                layout.address(),
                "--root-dir",
                layout.kubeletRoot().toString(),
                "--cert-dir",
                layout.dir().resolve("kubelet-pki").toString(),
                "--v",
                "1");
        start(
                "kube-scheduler",
                path,
                layout.bin("kube-scheduler").toString(),
                "--kubeconfig",
                adminKubeconfig.toString(),
                "--authentication-kubeconfig",
                adminKubeconfig.toString(),
                "--authorization-kubeconfig",
                adminKubeconfig.toString(),
                "--leader-elect=false",
                "--bind-address",
                "127.0.0.1",
                "--secure-port",
                "0",
                "--v",
                "1");
        start(
                "kube-proxy",
                path,
                layout.bin("kube-proxy").toString(),
                "--config",
                layout.kubeProxyConfig().toString(),
                "--v",
                "1");
        writePids();
        KubernetesClient admin = plane.admin();
        await(
                "Node " + layout.nodeName() + " Ready",
                Duration.ofSeconds(120),
                () -> ready(admin.nodes().withName(layout.nodeName()).get()));
        // kube-router finds its node by name: only once the kubelet registered it
        start(
                "kube-router",
                path,
                layout.bin("kube-router").toString(),
                "--kubeconfig",
                adminKubeconfig.toString(),
                "--run-firewall=true",
                "--run-router=false",
                "--run-service-proxy=false",
                "--hostname-override",
                layout.nodeName(),
                "--metrics-port",
                "0",
                "--health-port",
                "0",
                "--v",
                "1");
        writePids();
        ClusterAddons.install(plane, layout, images);
    }

    private static boolean ready(Node node) {
        return node != null
                && node.getStatus() != null
                && node.getStatus().getConditions().stream()
                        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    private void importImage(Path archive) {
        run(
                Duration.ofMinutes(5),
                layout.bin("ctr").toString(),
                "--address",
                layout.containerdSocket().toString(),
                "--namespace",
                "k8s.io",
                "images",
                "import",
                "--no-unpack=false",
                archive.toString());
    }

    /** {@code ctr} on the node's containerd, namespace k8s.io (the CRI's). */
    public void ctr(String... args) {
        List<String> command = new ArrayList<>(List.of(
                layout.bin("ctr").toString(),
                "--address",
                layout.containerdSocket().toString(),
                "--namespace",
                "k8s.io"));
        command.addAll(List.of(args));
        run(Duration.ofMinutes(2), command.toArray(String[]::new));
    }

    /** Runs a command to completion (output to the node's logs), failing with its output when it fails. */
    public void run(Duration timeout, String... command) {
        Path log = layout.logs().resolve("commands.log");
        try {
            Files.writeString(
                    log,
                    "$ " + String.join(" ", command) + "\n",
                    java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
            Process p = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(command[0] + " did not finish in " + timeout);
            }
            if (p.exitValue() != 0) {
                List<String> lines = Files.readAllLines(log);
                throw new IllegalStateException(String.join(" ", command) + " failed:\n"
                        + String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size())));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void start(String name, Map<String, String> env, String... command) {
        processes.add(ManagedProcess.start(name, layout.logs(), List.of(command), env));
    }

    private void writePids() throws IOException {
        StringBuilder pids = new StringBuilder();
        processes.forEach(p -> pids.append(p.pid()).append('\n'));
        Files.writeString(layout.dir().resolve("pids"), pids);
    }

    private void await(String what, Duration timeout, BooleanSupplier condition) {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            for (ManagedProcess p : processes) {
                if (!p.alive()) {
                    throw new IllegalStateException("a node process exited while waiting for " + what);
                }
            }
            if (condition.getAsBoolean()) {
                return;
            }
            sleep(250);
        }
        throw new IllegalStateException(what + ": not within " + timeout);
    }

    private static void sysctl(String key, String value) throws IOException {
        Files.writeString(Path.of("/proc/sys", key), value);
    }

    public NodeLayout layout() {
        return layout;
    }

    /** The last lines of every node process's log (for failure messages). */
    public String logs() {
        StringBuilder out = new StringBuilder();
        processes.forEach(p -> out.append(p.tail(p.alive() ? 5 : 30)).append('\n'));
        return out.toString();
    }

    /** Stops the node components and removes everything it left on the machine. Idempotent. */
    @Override
    public void close() {
        for (int i = processes.size() - 1; i >= 0; i--) {
            processes.get(i).close();
        }
        processes.clear();
        keepLogs();
        cleanup(layout);
    }

    /** The node's logs survive it in target/node-logs (the node's directory is removed). */
    private void keepLogs() {
        Path kept = Path.of("target/node-logs");
        try (var logs = Files.list(layout.logs())) {
            Files.createDirectories(kept);
            for (Path log : logs.toList()) {
                Files.copy(log, kept.resolve(log.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            // no logs yet
        }
    }

    /** {@code tools/node/cleanup.sh}: leftovers of this or an earlier (killed) run in the node's directory. */
    static void cleanup(NodeLayout layout) {
        try {
            Process p = new ProcessBuilder(
                            "tools/node/cleanup.sh",
                            layout.dir().toString(),
                            layout.bin().toString())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!p.waitFor(2, TimeUnit.MINUTES)) {
                p.destroyForcibly();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
