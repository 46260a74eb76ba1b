package dev.collab.local.controlplane;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The files a control plane is configured with, all inside its own directory (0700): static tokens (new each start),
 * the service-account signing key (kept, so issued tokens stay valid across restarts), the audit policy, the API
 * server's self-signed serving certificate (written by kube-apiserver on its first start, reused after).
 */
public record ControlPlaneFiles(Path dir) {

    public static ControlPlaneFiles at(Path dir) {
        return new ControlPlaneFiles(dir);
    }

    /** Writes the static tokens (plus {@code extraTokens}, CSV lines), the service-account key and the audit policy. */
    static ControlPlaneFiles write(Path dir, String adminToken, String controllerManagerToken, String extraTokens) {
        ControlPlaneFiles files = new ControlPlaneFiles(dir);
        try {
            Files.createDirectories(files.certDir());
            // token,user,uid,"groups": the admin and the controller manager are cluster administrators here.
            Files.writeString(
                    files.tokens(),
                    adminToken + "," + KubeControlPlane.ADMIN + ",admin,\"system:masters\"\n" + controllerManagerToken
                            + ",system:kube-controller-manager,kcm,\"system:masters\"\n" + extraTokens);
            if (!Files.isRegularFile(files.serviceAccountKey())) {
                Files.writeString(files.serviceAccountKey(), serviceAccountKeyPem());
            }
            restrict(dir);
            restrict(files.tokens());
            restrict(files.serviceAccountKey());
            Files.writeString(files.auditPolicy(), """
                    # Every write, and every request of a ServiceAccount (so a 403 of the operator or router
                    # shows), at Metadata level: no bodies, so no Secret value.
                    apiVersion: audit.k8s.io/v1
                    kind: Policy
                    omitStages: ["RequestReceived"]
                    rules:
                      - level: Metadata
                        verbs: ["create", "update", "patch", "delete", "deletecollection"]
                      - level: Metadata
                        userGroups: ["system:serviceaccounts"]
                      - level: None
                    """);
            return files;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A kubeconfig that trusts the API server's self-signed serving certificate and sends a bearer token. */
    public static void kubeconfig(Path file, String url, Path ca, String token, String namespace) {
        try {
            Files.writeString(file, """
                    apiVersion: v1
                    kind: Config
                    clusters:
                      - name: collab
                        cluster: {server: "%s", certificate-authority: "%s"}
                    users:
                      - name: user
                        user: {token: "%s"}
                    contexts:
                      - name: collab
                        context: {cluster: collab, user: user, namespace: "%s"}
                    current-context: collab
                    """.formatted(url, ca, token, namespace));
            restrict(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void delete(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: the directory is in a temp location
        }
    }

    /** Owner only (no-op where POSIX permissions do not exist). */
    static void restrict(Path path) {
        try {
            Files.setPosixFilePermissions(
                    path, PosixFilePermissions.fromString(Files.isDirectory(path) ? "rwx------" : "rw-------"));
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system
        }
    }

    private static String serviceAccountKeyPem() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            byte[] pkcs8 = generator.generateKeyPair().getPrivate().getEncoded();
            return "-----BEGIN PRIVATE KEY-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(pkcs8)
                    + "\n-----END PRIVATE KEY-----\n";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public Path certDir() {
        return dir.resolve("certs");
    }

    /** Written by kube-apiserver at start-up (self-signed for 127.0.0.1); clients trust it as their CA. */
    public Path servingCert() {
        return certDir().resolve("apiserver.crt");
    }

    public Path tokens() {
        return dir.resolve("tokens.csv");
    }

    public Path serviceAccountKey() {
        return dir.resolve("sa.key");
    }

    public Path auditPolicy() {
        return dir.resolve("audit-policy.yaml");
    }

    public Path auditLog() {
        return dir.resolve("audit.log");
    }
}
