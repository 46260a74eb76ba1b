package dev.collab.local;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * What the local node needs to know.
 *
 * @param dataDir           root of everything local mode keeps ({@code sessions/<name>/home} stands for the PVC)
 * @param opencodeCommand   executable run in place of the container command word {@code opencode}
 * @param defaultNamespace  sessions of this namespace live in {@code sessions/<name>}, others in
 *                          {@code namespaces/<ns>/sessions/<name>}
 * @param backoffBase       first CrashLoopBackOff delay (kubelet: 10 s), doubled per crash
 * @param backoffMax        longest CrashLoopBackOff delay (kubelet: 5 min)
 * @param retryDelay        wait before retrying a pod whose volumes or env cannot be prepared yet
 * @param bindsPods         whether the node binds unscheduled pods to itself (a control plane without scheduler) and
 *                          runs only pods bound to it; false on the embedded API (no binding subresource)
 * @param sandbox           the bwrap executable workers run under, or {@code none}
 */
public record LocalNodeSettings(
        Path dataDir,
        String opencodeCommand,
        String defaultNamespace,
        Duration backoffBase,
        Duration backoffMax,
        Duration retryDelay,
        boolean bindsPods,
        String sandbox) {
    /** The address every local pod (and the node) has: workers listen on loopback only. */
    public static final String POD_IP = "127.0.0.1";

    public static final String NODE_NAME = "collab-local";
    /** The container command word that stands for the opencode binary. */
    static final String OPENCODE = "opencode";
    /** In the session folder: pid of the running opencode, so a killed run's leftovers can be found. */
    static final String PID_FILE = "opencode.pid";
    /**
     * What a worker inherits from this machine: the command path, locale and the machine's network settings (proxy,
     * extra CA certificates: without them a TLS-intercepting network breaks every provider call). Nothing else: no
     * XDG_* (would move opencode's state out of the session HOME) and no provider keys of the user's shell.
     */
    static final List<String> NODE_ENV = List.of(
            "PATH",
            "LANG",
            "LC_ALL",
            "TZ",
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "NO_PROXY",
            "http_proxy",
            "https_proxy",
            "no_proxy",
            "SSL_CERT_FILE",
            "SSL_CERT_DIR",
            "NODE_EXTRA_CA_CERTS");

    public static LocalNodeSettings of(Path dataDir, String opencodeCommand, String defaultNamespace) {
        return new LocalNodeSettings(
                dataDir,
                opencodeCommand,
                defaultNamespace,
                Duration.ofSeconds(10),
                Duration.ofMinutes(5),
                Duration.ofSeconds(2),
                false,
                Sandbox.NONE);
    }

    public LocalNodeSettings withBackoff(Duration base, Duration max, Duration retry) {
        return new LocalNodeSettings(dataDir, opencodeCommand, defaultNamespace, base, max, retry, bindsPods, sandbox);
    }

    public LocalNodeSettings withNode(boolean binds, String sandboxCommand) {
        return new LocalNodeSettings(
                dataDir, opencodeCommand, defaultNamespace, backoffBase, backoffMax, retryDelay, binds, sandboxCommand);
    }

    public boolean sandboxed() {
        return !Sandbox.NONE.equals(sandbox);
    }

    /** Folder of one session: HOME, materialised secrets, per-pod folders and the worker log. */
    public Path sessionDir(String namespace, String name) {
        return defaultNamespace.equals(namespace)
                ? dataDir.resolve("sessions").resolve(name)
                : dataDir.resolve("namespaces")
                        .resolve(namespace)
                        .resolve("sessions")
                        .resolve(name);
    }

    /** The delay before restart number {@code crashes} (1-based): base * 2^(crashes-1), capped at max. */
    public Duration backoff(int crashes) {
        Duration delay = backoffBase;
        for (int i = 1; i < crashes && delay.compareTo(backoffMax) < 0; i++) {
            delay = delay.multipliedBy(2);
        }
        return delay.compareTo(backoffMax) > 0 ? backoffMax : delay;
    }
}
