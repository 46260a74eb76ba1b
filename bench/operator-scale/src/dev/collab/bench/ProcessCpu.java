package dev.collab.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU seconds a process used so far (utime + stime from /proc/PID/stat, fields 14 and 15), and its memory. */
final class ProcessCpu {
    private static final double TICKS_PER_SECOND = 100; // USER_HZ on Linux

    private ProcessCpu() {}

    static double seconds(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS_PER_SECOND;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** A kB field of /proc/PID/status (VmRSS, VmHWM), -1 when absent. */
    static long statusKb(long pid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}
