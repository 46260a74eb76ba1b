package dev.collab.local;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Probe;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * The kubelet's prober for one container: runs its readiness probe (tcpSocket or httpGet on loopback, with the
 * probe's timeoutSeconds; exec is not run, the container counts as ready) while the process lives and reports each
 * change of readiness. An httpGet probe passes on 2xx/3xx like the kubelet's.
 */
final class ReadinessProber {
    /** Until the first success the probe repeats this often, so readiness follows start-up closely. */
    private static final Duration PROBE_UNTIL_READY = Duration.ofMillis(500);

    /** Told each time readiness changes. */
    interface Listener {
        void readinessChanged(boolean ready);
    }

    private final Container container;
    private final Probe probe;
    private final IntSupplier localPort;

    /** {@code localPort}: where the container's own ports are on this machine (the launcher's chosen port). */
    ReadinessProber(Container container, IntSupplier localPort) {
        this.container = container;
        this.probe = container.getReadinessProbe();
        this.localPort = localPort;
    }

    /** Probes readiness while the process lives (every 500 ms until ready, then every periodSeconds). */
    void probeUntilExit(Process p, Listener listener) throws InterruptedException {
        int period = probe == null || probe.getPeriodSeconds() == null ? 10 : Math.max(1, probe.getPeriodSeconds());
        int failureThreshold = probe == null || probe.getFailureThreshold() == null ? 3 : Math.max(1, probe.getFailureThreshold());
        boolean ready = false;
        int failures = 0;
        while (p.isAlive()) {
            boolean ok = probeOnce();
            if (ok) {
                failures = 0;
                if (!ready) {
                    ready = true;
                    listener.readinessChanged(true);
                }
            } else if (ready && ++failures >= failureThreshold) {
                ready = false;
                listener.readinessChanged(false);
            }
            long wait = ready ? TimeUnit.SECONDS.toMillis(period) : PROBE_UNTIL_READY.toMillis();
            if (p.waitFor(wait, TimeUnit.MILLISECONDS)) {
                break;
            }
        }
        p.waitFor();
    }

    boolean probeOnce() {
        if (probe == null || (probe.getTcpSocket() == null && probe.getHttpGet() == null)) {
            return true; // no probe (or exec, which the local node does not run): ready when running
        }
        int timeoutMillis = (int) TimeUnit.SECONDS.toMillis(probe.getTimeoutSeconds() == null ? 1 // the kubelet's default
                : Math.max(1, probe.getTimeoutSeconds()));
        if (probe.getTcpSocket() != null) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), portOf(probe.getTcpSocket().getPort())), timeoutMillis);
                return true;
            } catch (IOException e) {
                return false;
            }
        }
        try {
            String path = probe.getHttpGet().getPath() == null ? "/" : probe.getHttpGet().getPath();
            HttpURLConnection conn = (HttpURLConnection) URI.create("http://127.0.0.1:"
                    + portOf(probe.getHttpGet().getPort()) + path).toURL().openConnection();
            conn.setConnectTimeout(timeoutMillis);
            conn.setReadTimeout(timeoutMillis);
            int code = conn.getResponseCode();
            conn.disconnect();
            return code >= 200 && code < 400;
        } catch (IOException e) {
            return false;
        }
    }

    /** The local port a container port (number or name) maps to: the chosen port for the container's own ports. */
    private int portOf(IntOrString target) {
        int port = localPort.getAsInt();
        if (target == null) {
            return port;
        }
        int number;
        List<ContainerPort> ports = ContainerLauncher.list(container.getPorts());
        if (target.getIntVal() != null) {
            number = target.getIntVal();
        } else {
            number = ports.stream().filter(cp -> target.getStrVal().equals(cp.getName()))
                    .map(ContainerPort::getContainerPort).findFirst().orElse(-1);
        }
        boolean declared = ports.stream().anyMatch(cp -> Objects.equals(cp.getContainerPort(), number));
        return declared || number == portOfCommand() ? port : number;
    }

    private int portOfCommand() {
        List<String> words = ContainerLauncher.commandLine(container);
        for (int i = 0; i < words.size(); i++) {
            String w = words.get(i);
            if (w.equals("--port") && i + 1 < words.size()) {
                return parseInt(words.get(i + 1));
            }
            if (w.startsWith("--port=")) {
                return parseInt(w.substring("--port=".length()));
            }
        }
        return -1;
    }

    private static int parseInt(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
