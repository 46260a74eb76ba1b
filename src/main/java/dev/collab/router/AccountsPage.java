package dev.collab.router;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * The accounts page (resources accounts-page.html and accounts-page.js beside this class): plain HTML and one script,
 * inlined, allowed by its hash in the Content-Security-Policy, so the page runs no other script and talks to nothing
 * but this router.
 */
record AccountsPage(String html, String contentSecurityPolicy) {
    static AccountsPage load() {
        String script = resource("accounts-page.js");
        String html = resource("accounts-page.html").replace("/*SCRIPT*/", script);
        String hash = sha256(script);
        return new AccountsPage(
                html,
                "default-src 'none'; script-src 'sha256-" + hash + "'; style-src 'unsafe-inline'; connect-src 'self';"
                        + " img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'");
    }

    private static String resource(String name) {
        try (InputStream in = AccountsPage.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String sha256(String s) {
        try {
            return Base64.getEncoder()
                    .encodeToString(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
