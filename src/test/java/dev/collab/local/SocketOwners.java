package dev.collab.local;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Linux only: which process owns the client end of a loopback TCP connection (from /proc/net/tcp*, /proc/<pid>/fd). */
final class SocketOwners {
    private SocketOwners() {
    }

    /** The pid that owns the socket with local port {@code clientPort} connected to {@code serverPort}, or -1. */
    static long pidOfLoopbackClient(int clientPort, int serverPort) {
        String inode = inode(clientPort, serverPort);
        if (inode == null) {
            return -1;
        }
        String target = "socket:[" + inode + "]";
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path proc : procs) {
                try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fd"))) {
                    for (Path fd : fds) {
                        try {
                            if (target.equals(Files.readSymbolicLink(fd).toString())) {
                                return Long.parseLong(proc.getFileName().toString());
                            }
                        } catch (IOException e) {
                            // fd closed meanwhile
                        }
                    }
                } catch (IOException | SecurityException e) {
                    // another user's process or gone
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return -1;
    }

    private static String inode(int clientPort, int serverPort) {
        String local = String.format(Locale.ROOT, ":%04X", clientPort);
        String remote = String.format(Locale.ROOT, ":%04X", serverPort);
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            try {
                for (String line : Files.readAllLines(Path.of(table))) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 9 && f[1].endsWith(local) && f[2].endsWith(remote) && !"0".equals(f[9])) {
                        return f[9];
                    }
                }
            } catch (IOException e) {
                // not Linux
            }
        }
        return null;
    }
}
