package dev.collab.operator;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Stands in for opencode's credential API in mock-server tests (the fake kubelet's pod IPs lead nowhere): records
 * what the operator would have sent, and answers as the test says.
 */
final class RecordingDelivery implements CredentialDelivery {
    /** One call: the endpoint it went to and the auth.json entries. */
    record Call(String endpoint, String password, Map<String, String> entries) {}

    final List<Call> calls = new CopyOnWriteArrayList<>();
    volatile boolean accept = true;

    @Override
    public boolean deliver(String endpoint, String serverPassword, Map<String, String> authEntries) {
        calls.add(new Call(endpoint, serverPassword, authEntries));
        return accept;
    }
}
