package dev.collab.router;

import dev.collab.api.AccessSecrets;
import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.InformerHandlers;
import dev.collab.api.SessionInformers;
import dev.collab.api.SessionPhase;
import dev.collab.api.SessionStates;
import dev.collab.api.StoppedReason;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * In-memory view of the sessions the router serves, fed by Fabric8 informers: CollabSessions, the access
 * Secrets (label {@code collab.dev/role=access}), the secret values of the credential Secrets (label
 * {@code collab.dev/credentials=true}; only the values, for {@link StreamRedactor}) and the router's own admin-token
 * Secret. Lookups never call the Kubernetes API.
 */
public class SessionDirectory implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SessionDirectory.class);

    /**
     * Access credentials of one session, decoded from its {@code <name>-access} Secret, with the Authorization value
     * the router sends to opencode built once (not per proxied request).
     */
    public record Access(byte[] token, String serverPassword, String basicAuthorization) {
        public Access(byte[] token, String serverPassword) {
            this(token, serverPassword, AccessSecrets.opencodeAuthorization(serverPassword));
        }

        /** Never the secret values (a record prints its components). */
        @Override
        public String toString() {
            return "Access[redacted]";
        }
    }

    private final KubernetesClient client;
    private final RouterSettings settings;
    private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
    /** session name -> namespace -> session. */
    private final Map<String, Map<String, CollabSession>> sessions = new ConcurrentHashMap<>();
    /** namespace/name of the access Secret -> access. */
    private final Map<String, Access> access = new ConcurrentHashMap<>();
    /** namespace/name of a credential Secret -> its secret values. */
    private final Map<String, List<String>> credentialValues = new ConcurrentHashMap<>();

    private volatile byte[] adminToken;
    /** namespace/name of a session -> listeners told about every change of it. */
    private final Map<String, List<Consumer<CollabSession>>> listeners = new ConcurrentHashMap<>();

    private final List<Consumer<CollabSession>> removalListeners = new CopyOnWriteArrayList<>();

    public SessionDirectory(KubernetesClient client, RouterSettings settings) {
        this.client = client;
        this.settings = settings;
    }

    /** Starts the informers without waiting for them to sync (readiness reports the sync). */
    public void start() {
        SessionInformers.forEachNamespace(
                client,
                settings.namespaces(),
                CollabLabels.ROLE,
                CollabLabels.ROLE_ACCESS,
                this::startSessionInformers);
        for (String ns : settings.namespaces().isEmpty() ? List.of("") : settings.namespaces()) {
            var secrets = ns.isEmpty()
                    ? client.secrets().inAnyNamespace()
                    : client.secrets().inNamespace(ns);
            SharedIndexInformer<Secret> credentials = secrets.withLabel(
                            CollabLabels.CREDENTIALS, CollabLabels.CREDENTIALS_VALUE)
                    .runnableInformer(0);
            credentials.addEventHandler(InformerHandlers.of(
                    s -> credentialValues.put(key(s), SecretValues.of(s)), s -> credentialValues.remove(key(s))));
            begin(credentials);
        }
        SharedIndexInformer<Secret> admin = client.secrets()
                .inNamespace(settings.routerNamespace())
                .withName(settings.adminTokenSecret())
                .runnableInformer(0);
        admin.addEventHandler(InformerHandlers.of(
                s -> adminToken = AccessSecrets.bytes(s, CollabLabels.ACCESS_TOKEN_KEY), s -> adminToken = null));
        begin(admin);
    }

    private void startSessionInformers(
            SharedIndexInformer<CollabSession> sessionInformer, SharedIndexInformer<Secret> secretInformer) {
        sessionInformer.addEventHandler(InformerHandlers.of(this::putSession, this::removeSession));
        secretInformer.addEventHandler(InformerHandlers.of(this::putAccess, s -> access.remove(key(s))));
        begin(sessionInformer);
        begin(secretInformer);
    }

    private void begin(SharedIndexInformer<?> informer) {
        informer.exceptionHandler((started, t) -> {
            LOG.warnf("informer error (retrying): %s", t.toString());
            return true;
        });
        informers.add(informer);
        informer.start();
    }

    private void putSession(CollabSession cs) {
        sessions.computeIfAbsent(cs.getMetadata().getName(), n -> new ConcurrentHashMap<>())
                .put(cs.getMetadata().getNamespace(), cs);
        notifyListeners(cs);
    }

    private void removeSession(CollabSession cs) {
        sessions.computeIfPresent(cs.getMetadata().getName(), (n, byNs) -> {
            byNs.remove(cs.getMetadata().getNamespace());
            return byNs.isEmpty() ? null : byNs;
        });
        notifyListeners(cs);
        removalListeners.forEach(l -> l.accept(cs));
    }

    /** Calls the listener with every session deleted from the cache. */
    public void onRemoved(Consumer<CollabSession> listener) {
        removalListeners.add(listener);
    }

    private void putAccess(Secret s) {
        byte[] token = AccessSecrets.bytes(s, CollabLabels.ACCESS_TOKEN_KEY);
        byte[] password = AccessSecrets.bytes(s, CollabLabels.ACCESS_SERVER_PASSWORD_KEY);
        if (token == null || password == null) {
            access.remove(key(s));
        } else {
            access.put(key(s), new Access(token, new String(password, StandardCharsets.UTF_8)));
        }
    }

    private static String key(HasMetadata o) {
        return key(o.getMetadata().getNamespace(), o.getMetadata().getName());
    }

    private static String key(String namespace, String name) {
        return namespace + "/" + name;
    }

    /** Every session with this name in the watched namespaces (more than one is a naming conflict). */
    public List<CollabSession> find(String name) {
        Map<String, CollabSession> byNs = sessions.get(name);
        return byNs == null ? List.of() : List.copyOf(byNs.values());
    }

    /** The session's current state in the cache, or empty when it was deleted. */
    public Optional<CollabSession> get(String namespace, String name) {
        Map<String, CollabSession> byNs = sessions.get(name);
        return Optional.ofNullable(byNs == null ? null : byNs.get(namespace));
    }

    public Optional<Access> access(CollabSession cs) {
        String secret = cs.getStatus() != null && cs.getStatus().getAccessSecretName() != null
                ? cs.getStatus().getAccessSecretName()
                : CollabLabels.accessSecretName(cs.getMetadata().getName());
        return Optional.ofNullable(access.get(key(cs.getMetadata().getNamespace(), secret)));
    }

    /**
     * The values a session's streams must never show: those of the credential Secret its spec names (whatever its
     * owner label: they are secret either way) and its server password.
     */
    public List<String> secretValues(CollabSession cs, Access access) {
        List<String> values = new ArrayList<>();
        if (cs.getSpec() != null && cs.getSpec().getCredentials() != null) {
            values.addAll(credentialValues.getOrDefault(
                    key(
                            cs.getMetadata().getNamespace(),
                            cs.getSpec().getCredentials().getSecretName()),
                    List.of()));
        }
        if (access != null) {
            values.add(access.serverPassword());
        }
        return values;
    }

    public Optional<byte[]> adminToken() {
        return Optional.ofNullable(adminToken);
    }

    public boolean synced() {
        return InformerHandlers.allSynced(informers);
    }

    /** Sessions that should run: not suspended and not stopped. */
    public long desiredCount() {
        return all().stream().filter(SessionDirectory::desired).count();
    }

    /** Sessions running with a published endpoint. */
    public long runningCount() {
        return all().stream()
                .filter(cs -> cs.getStatus() != null
                        && cs.getStatus().getPhase() == SessionPhase.Running
                        && cs.getStatus().getEndpoint() != null)
                .count();
    }

    private static boolean desired(CollabSession cs) {
        boolean suspended = cs.getSpec() != null && cs.getSpec().isSuspend();
        boolean stopped = cs.getStatus() != null && cs.getStatus().getPhase() == SessionPhase.Stopped;
        return !suspended && !stopped;
    }

    /** The sessions whose spec.owner is {@code owner} (the accounts API: whose token may manage that owner's pool). */
    public List<CollabSession> ownedBy(String owner) {
        return all().stream()
                .filter(cs -> cs.getSpec() != null && owner.equals(cs.getSpec().getOwner()))
                .toList();
    }

    private List<CollabSession> all() {
        List<CollabSession> all = new ArrayList<>();
        sessions.values().forEach(byNs -> all.addAll(byNs.values()));
        return all;
    }

    /** Calls the listener with every later state of the session (a deleted session is passed once more, then never). */
    public AutoCloseable listen(String namespace, String name, Consumer<CollabSession> listener) {
        String k = key(namespace, name);
        listeners.computeIfAbsent(k, x -> new CopyOnWriteArrayList<>()).add(listener);
        return () -> listeners.computeIfPresent(k, (x, list) -> {
            list.remove(listener);
            return list.isEmpty() ? null : list;
        });
    }

    private void notifyListeners(CollabSession cs) {
        List<Consumer<CollabSession>> list = listeners.get(key(cs));
        if (list != null) {
            for (Consumer<CollabSession> l : list) {
                try {
                    l.accept(cs);
                } catch (RuntimeException e) {
                    LOG.warn("session listener failed", e);
                }
            }
        }
    }

    public static boolean wakes(CollabSession cs) {
        return SessionStates.wakesOnActivity(cs.getStatus());
    }

    public static boolean suspended(CollabSession cs) {
        return (cs.getSpec() != null && cs.getSpec().isSuspend())
                || (cs.getStatus() != null && cs.getStatus().getStoppedReason() == StoppedReason.Suspended);
    }

    @Override
    public void close() {
        informers.forEach(SharedIndexInformer::close);
        informers.clear();
    }
}
