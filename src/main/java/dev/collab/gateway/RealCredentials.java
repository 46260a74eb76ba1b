package dev.collab.gateway;

/** How a credential travels upstream, and one credential to send. The accounts themselves: CredentialAccounts. */
public final class RealCredentials {
    /** The header a credential travels in upstream. */
    public enum Kind {
        API_KEY,
        BEARER
    }

    /** One credential to send upstream. {@link #toString()} never shows the value. */
    public record Credential(Kind kind, String value) {
        @Override
        public String toString() {
            return "Credential[" + kind + "]";
        }
    }

    private RealCredentials() {}
}
