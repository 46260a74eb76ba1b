package dev.collab.operator;

import java.util.Map;

/** Installs a session's credentials into a claimed warm worker's running opencode (a network call). */
public interface CredentialDelivery {

    /**
     * @param authEntries provider id -> auth.json entry (JSON object as text)
     * @return true when opencode accepted every entry and reloaded its instance
     */
    boolean deliver(String endpoint, String serverPassword, Map<String, String> authEntries);
}
