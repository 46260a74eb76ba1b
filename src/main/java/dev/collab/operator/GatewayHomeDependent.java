package dev.collab.operator;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CredentialAccounts;
import dev.collab.api.CredentialKey;
import dev.collab.api.Placeholders;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Gateway mode: the `<name>-gateway-home` Secret holds the placeholder credential files that seed-home copies into
 * HOME in place of the real ones (the worker pod mounts this Secret, never the credential Secret). Updated when
 * its content changes; its content changes only when the shape of the credential Secret changes, not when a key
 * is replaced, so an upload of a new key reaches the gateway without a pod restart.
 */
final class GatewayHomeDependent {
    private final InformerEventSource<Secret, CollabSession> secrets;
    private final Supplier<Optional<byte[]>> key;

    GatewayHomeDependent(InformerEventSource<Secret, CollabSession> secrets, Supplier<Optional<byte[]>> key) {
        this.secrets = secrets;
        this.key = key;
    }

    /** What observe hands on in Gateway mode: the placeholder Secret to ensure, and the state the pod is built from. */
    record Desired(Secret secret, CredentialsState credentials) {}

    /**
     * The placeholder Secret this session should have and the credentials state of its files (keys and hash, which
     * the pod spec and its hash are built from), or why it cannot be built. Reads the gateway key (once).
     */
    Desired desired(CollabSession session, Secret real, CredentialsState realState, GatewayLink link) {
        byte[] gatewayKey = key.get().orElse(null);
        // A starting session is reconciled several times within seconds with the same inputs: the placeholder files
        // (two HMACs, the credential files parsed, a digest) are built once for them.
        String inputs = gatewayKey == null ? null : inputs(session, real, realState);
        Remembered known = inputs == null ? null : recent.get(inputs);
        if (known != null && known.gatewayKey() == gatewayKey) {
            return known.desired();
        }
        Desired built = build(session, real, realState, link, gatewayKey);
        if (inputs != null) {
            recent.put(inputs, new Remembered(gatewayKey, built));
        }
        return built;
    }

    /** The session's version of its spec (owner), the credential Secret's version and its state, or null. */
    private static String inputs(CollabSession session, Secret real, CredentialsState realState) {
        var meta = session.getMetadata();
        var secretMeta = real.getMetadata();
        if (meta.getUid() == null || meta.getGeneration() == null || secretMeta.getResourceVersion() == null) {
            return null;
        }
        return meta.getUid() + "/" + meta.getGeneration() + "/" + secretMeta.getUid() + "/"
                + secretMeta.getResourceVersion() + "/" + realState.hash() + "/" + realState.message();
    }

    private record Remembered(byte[] gatewayKey, Desired desired) {}

    /** Bounded: enough for the sessions starting at once; a running session is rarely reconciled. */
    static final int RECENT = 256;

    private final Map<String, Remembered> recent =
            java.util.Collections.synchronizedMap(new LinkedHashMap<>(RECENT, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Remembered> eldest) {
                    return size() > RECENT;
                }
            });

    private Desired build(
            CollabSession session, Secret real, CredentialsState realState, GatewayLink link, byte[] gatewayKey) {
        if (gatewayKey == null) {
            return new Desired(
                    null,
                    new CredentialsState(
                            false,
                            "GatewayKeyUnavailable",
                            "Gateway mode: the operator can " + "neither read nor create the gateway key Secret "
                                    + link.keySecret() + " in its namespace",
                            java.util.List.of(),
                            null));
        }
        CredentialsState refused = refusal(real);
        if (refused != null) {
            return new Desired(null, refused);
        }
        Secret desired = desired(session, real, gatewayKey, link);
        // keys and hash of the placeholder files, computed like any credential Secret's (opted in for this owner)
        Secret asCredentials = new SecretBuilder(desired)
                .editMetadata()
                .addToLabels(CollabLabels.CREDENTIALS, CollabLabels.CREDENTIALS_VALUE)
                .endMetadata()
                .build();
        CredentialsState placeholders = CredentialsState.of(
                desired.getMetadata().getName(),
                asCredentials,
                session.getSpec().getOwner());
        return new Desired(
                desired,
                new CredentialsState(
                        placeholders.ready(),
                        realState.reason(),
                        realState.message() + "; Gateway mode: the pod holds placeholders only",
                        placeholders.keys(),
                        placeholders.hash()));
    }

    /** Creates the placeholder Secret, or updates it when its content differs from the cached one. */
    void ensure(CollabSession session, Secret desired, KubernetesClient client) {
        Secret current = secrets.get(ResourceID.fromResource(desired)).orElse(null);
        if (current != null && !ChildOwnership.isSessions(current, session)) {
            throw new ChildOwnership.Foreign(current); // its files would reach the pod: never rewritten, never used
        }
        if (current == null) {
            Children.createOnce(client, secrets, desired, existing -> ChildOwnership.isSessions(existing, session));
        } else if (!Objects.equals(current.getData(), desired.getData())) {
            Secret copy = new SecretBuilder(desired)
                    .editMetadata()
                    .withResourceVersion(current.getMetadata().getResourceVersion())
                    .endMetadata()
                    .build();
            Secret updated = client.resource(copy).update();
            secrets.handleRecentResourceUpdate(ResourceID.fromResource(updated), updated, current);
        }
    }

    /**
     * Pure: why Gateway mode refuses this credential Secret, or null. Values in {@code headers} or
     * {@code environment} objects (MCP servers, custom providers) are secret by the redaction rule, and the gateway
     * stands in only for Anthropic credentials: a pod started without them would fail in ways nobody can trace, and
     * a pod started with them would hold real secrets. The message names the fields, never a value.
     */
    static CredentialsState refusal(Secret real) {
        List<String> withheld = PlaceholderHome.withheld(files(real));
        if (withheld.isEmpty()) {
            return null;
        }
        int shown = Math.min(withheld.size(), 5);
        return new CredentialsState(
                false,
                UNHIDEABLE_SECRETS,
                "Gateway mode: the credential Secret " + real.getMetadata().getName() + " holds secret values the "
                        + "gateway cannot stand in for (" + String.join(", ", withheld.subList(0, shown))
                        + (withheld.size() > shown ? " and " + (withheld.size() - shown) + " more" : "")
                        + "); remove them from the Secret's files, or run the session in Seeded mode",
                List.of(),
                null);
    }

    /** Condition reason of {@link #refusal}. */
    static final String UNHIDEABLE_SECRETS = "GatewayCannotHideSecrets";

    static Map<CredentialKey, byte[]> files(Secret real) {
        Map<CredentialKey, byte[]> files = new EnumMap<>(CredentialKey.class);
        Map<String, String> data = real.getData() == null ? Map.of() : real.getData();
        for (CredentialKey k : CredentialKey.values()) {
            String encoded = data.get(k.secretKey());
            if (encoded != null) {
                files.put(k, Base64.getDecoder().decode(encoded));
            }
        }
        return files;
    }

    /**
     * Pure: the data (base64) of a placeholder home Secret, a session's or a warm worker's: its placeholder files, and
     * the egress proxy URL with {@code access} as proxy password (not a credential file: never mounted, not in the
     * credentials hash; the pod's proxy variables read it).
     */
    static Map<String, String> secretData(Map<String, String> files, String access, GatewayLink link) {
        Map<String, String> plain = new LinkedHashMap<>(files);
        plain.put(CollabLabels.EGRESS_PROXY_URL_KEY, link.egressUrlFor(access));
        Map<String, String> encoded = new LinkedHashMap<>();
        plain.forEach((k, v) -> encoded.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
        return encoded;
    }

    /** Pure: the placeholder Secret of this session for the given credential Secret and gateway key. */
    static Secret desired(CollabSession session, Secret real, byte[] gatewayKey, GatewayLink link) {
        String ns = session.getMetadata().getNamespace();
        String name = session.getMetadata().getName();
        String uid = session.getMetadata().getUid();
        Map<String, String> data = real.getData() == null ? Map.of() : real.getData();
        String access = Placeholders.access(gatewayKey, ns, name, uid);
        Map<String, String> encoded = secretData(
                PlaceholderHome.files(
                        files(real),
                        access,
                        Placeholders.refresh(gatewayKey, ns, name, uid),
                        link.baseUrlV1(),
                        data.containsKey(CredentialAccounts.KEY)),
                access,
                link);
        return new SecretBuilder()
                .withMetadata(ChildMetadata.of(
                                session, CollabLabels.gatewayHomeSecretName(name), CollabLabels.ROLE_GATEWAY_HOME, true)
                        .build())
                .withType("Opaque")
                .withData(encoded)
                .build();
    }
}
