package dev.collab.testing.node;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The test node's certificates, made with openssl: a CA that the kubelet trusts for client certificates, and the
 * API server's client certificate towards the kubelet (group system:masters, so the kubelet's webhook authorization
 * lets {@code kubectl logs}/{@code exec} through). One day of validity: a node lives as long as a test run.
 */
public record NodeCerts(Path ca, Path apiServerClientCert, Path apiServerClientKey) {

    public static NodeCerts create(Path pki) {
        try {
            Files.createDirectories(pki);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        NodeCerts certs = new NodeCerts(
                pki.resolve("ca.crt"), pki.resolve("apiserver-client.crt"), pki.resolve("apiserver-client.key"));
        Path caKey = pki.resolve("ca.key");
        Path csr = pki.resolve("apiserver-client.csr");
        openssl(
                pki,
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                caKey.toString(),
                "-out",
                certs.ca.toString(),
                "-days",
                "1",
                "-subj",
                "/CN=collab-test-node-ca");
        openssl(
                pki,
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                certs.apiServerClientKey.toString(),
                "-out",
                csr.toString(),
                "-subj",
                "/O=system:masters/CN=kube-apiserver-kubelet-client");
        openssl(
                pki,
                "x509",
                "-req",
                "-in",
                csr.toString(),
                "-CA",
                certs.ca.toString(),
                "-CAkey",
                caKey.toString(),
                "-CAcreateserial",
                "-out",
                certs.apiServerClientCert.toString(),
                "-days",
                "1");
        return certs;
    }

    private static void openssl(Path dir, String... args) {
        List<String> command = new java.util.ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command)
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("openssl.log").toFile())
                    .start();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(
                        "openssl " + args[0] + " failed: " + Files.readString(dir.resolve("openssl.log")));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("openssl is needed for the test node's certificates", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
