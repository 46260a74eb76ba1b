package dev.collab.testing.node;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketException;

/**
 * FAKE: a DNS server that is not the cluster's, on the host: it answers every query with the query itself marked as
 * a response. It stands for any resolver on the internet a hostile pod could use as a tunnel on port 53.
 */
public final class FakeDns implements AutoCloseable {
    private final DatagramSocket socket;
    private final Thread thread;

    public FakeDns(String address) {
        try {
            socket = new DatagramSocket(new InetSocketAddress(address, 53));
        } catch (SocketException e) {
            throw new UncheckedIOException(e);
        }
        thread = new Thread(this::serve, "fake-dns");
        thread.setDaemon(true);
        thread.start();
    }

    private void serve() {
        byte[] buffer = new byte[512];
        while (!socket.isClosed()) {
            try {
                DatagramPacket query = new DatagramPacket(buffer, buffer.length);
                socket.receive(query);
                byte[] answer = java.util.Arrays.copyOf(query.getData(), query.getLength());
                answer[2] |= (byte) 0x80; // QR: a response
                socket.send(new DatagramPacket(answer, answer.length, query.getSocketAddress()));
            } catch (IOException e) {
                // closed
            }
        }
    }

    /** A bash script that sends one query (id 0x1234) to this server and prints the answer's id, or nothing. */
    public static String queryScript(String address) {
        return "exec 3<>/dev/udp/" + address + "/53;"
                + " printf '\\x12\\x34\\x01\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x07example\\x03com\\x00\\x00\\x01\\x00\\x01' >&3;"
                + " timeout 3 head -c 2 <&3 | od -An -tx1 | tr -d ' \\n'";
    }

    @Override
    public void close() {
        socket.close();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
