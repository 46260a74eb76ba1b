package dev.collab.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Local mode's egress proxy port (loopback sockets): the same one across starts while it is free, so sessions that
 * come back keep their HTTPS_PROXY and are not replaced; another one when something else took it.
 */
class LocalEgressPortTest {

    @Test
    void aStartReusesTheSavedPortWhileItIsFree(@TempDir Path dataDir) throws Exception {
        int first = LocalBootstrap.egressPort(dataDir);
        assertThat(Files.readString(dataDir.resolve("egress-port"))).isEqualTo(Integer.toString(first));
        assertThat(LocalBootstrap.egressPort(dataDir)).isEqualTo(first);

        try (ServerSocket taken = new ServerSocket(first, 0, InetAddress.getLoopbackAddress())) {
            int second = LocalBootstrap.egressPort(dataDir);
            assertThat(second).isNotEqualTo(first);
            assertThat(Files.readString(dataDir.resolve("egress-port"))).isEqualTo(Integer.toString(second));
        }
    }
}
