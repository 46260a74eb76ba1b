package dev.collab.gateway;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CredentialsMode;
import dev.collab.api.DailyBudget;
import dev.collab.api.InformerHandlers;
import dev.collab.api.Placeholders;
import dev.collab.api.SessionInformers;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * What the gateway knows, fed by Fabric8 informers and never by a call on the request path: Gateway-mode sessions by
 * their placeholder, the accounts of every Secret opted in for sessions (label collab.dev/credentials=true; used only
 * for a session of the same owner label; an upload is seen on the next request) with their pool state, and the
 * gateway key. Placeholders are recomputed when a session or the key changes.
 */
public class GatewayDirectory implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(GatewayDirectory.class);

    /**
     * A Gateway-mode session as the proxies need it. podIp is null until the session has a Ready pod; egress holds
     * the valid entries of its spec.egress.allow.
     */
    public record Target(
            String namespace,
            String name,
            String owner,
            String secretName,
            String podIp,
            DailyBudget budget,
            List<dev.collab.api.EgressPattern> egress) {
        public Target(
                String namespace, String name, String owner, String secretName, String podIp, DailyBudget budget) {
            this(namespace, name, owner, secretName, podIp, budget, List.of());
        }
    }

    private final KubernetesClient client;
    private final GatewaySettings settings;
    private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
    private final Map<String, CollabSession> sessions = new ConcurrentHashMap<>();
    /** namespace/name -> the session's placeholders: its own, and a claimed warm worker's (issue 29). */
    private final Map<String, Set<String>> placeholderBySession = new ConcurrentHashMap<>();

    private final Map<String, Target> byPlaceholder = new ConcurrentHashMap<>();
    /** namespace/name of an opted-in credential Secret -> its accounts and their state (kept across updates). */
    private final Map<String, AccountPool> pools = new ConcurrentHashMap<>();

    private volatile byte[] key;

    public GatewayDirectory(KubernetesClient client, GatewaySettings settings) {
        this.client = client;
        this.settings = settings;
    }

    public void start() {
        SharedIndexInformer<Secret> keyInformer = client.secrets()
                .inNamespace(settings.keyNamespace())
                .withName(settings.keySecret())
                .runnableInformer(0);
        keyInformer.addEventHandler(InformerHandlers.of(s -> setKey(Placeholders.keyFrom(s)), s -> setKey(null)));
        begin(keyInformer);
        SessionInformers.forEachNamespace(
                client, settings.namespaces(), CollabLabels.CREDENTIALS, CollabLabels.CREDENTIALS_VALUE, this::watch);
    }

    private void watch(SharedIndexInformer<CollabSession> sessionInformer, SharedIndexInformer<Secret> secretInformer) {
        sessionInformer.addEventHandler(InformerHandlers.of(this::putSession, this::removeSession));
        secretInformer.addEventHandler(InformerHandlers.of(
                this::putSecret,
                s -> pools.remove(
                        key(s.getMetadata().getNamespace(), s.getMetadata().getName()))));
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

    public Optional<Target> byPlaceholder(String placeholder) {
        return placeholder == null ? Optional.empty() : Optional.ofNullable(byPlaceholder.get(placeholder));
    }

    /** The session's accounts: only from a Secret opted in for sessions of the same owner, as the operator requires. */
    Optional<AccountPool> pool(Target target) {
        AccountPool found = pools.get(key(target.namespace(), target.secretName()));
        return found == null || !target.owner().equals(found.owner()) ? Optional.empty() : Optional.of(found);
    }

    /** The pool of a Gateway-mode session (its credential Secret, opted in for its owner), if known. */
    Optional<AccountPool> poolOf(CollabSession cs) {
        if (cs.getSpec() == null || cs.getSpec().getCredentials() == null) {
            return Optional.empty();
        }
        AccountPool found = pools.get(key(
                cs.getMetadata().getNamespace(), cs.getSpec().getCredentials().getSecretName()));
        return found == null
                        || !CollabLabels.ownerLabelValue(cs.getSpec().getOwner())
                                .equals(found.owner())
                ? Optional.empty()
                : Optional.of(found);
    }

    java.util.Collection<AccountPool> pools() {
        return pools.values();
    }

    /** Gateway-mode sessions of {@code owner} naming that Secret (Events about the pool go to each). */
    List<CollabSession> sessionsUsing(String namespace, String secretName, String owner) {
        List<CollabSession> out = new ArrayList<>();
        for (Set<String> placeholders : placeholderBySession.values()) {
            Target t = placeholders.isEmpty()
                    ? null
                    : byPlaceholder.get(placeholders.iterator().next());
            if (t != null
                    && t.namespace().equals(namespace)
                    && t.secretName().equals(secretName)
                    && t.owner().equals(owner)) {
                session(t.namespace(), t.name()).ifPresent(out::add);
            }
        }
        return out;
    }

    /** The session as last seen (for the usage writer's optimistic update). */
    public Optional<CollabSession> session(String namespace, String name) {
        return Optional.ofNullable(sessions.get(key(namespace, name)));
    }

    public boolean synced() {
        return InformerHandlers.allSynced(informers);
    }

    public int gatewaySessions() {
        return placeholderBySession.size();
    }

    /*
     * Lookups take no lock, so an entry is never absent while it is rebuilt: the new placeholder is put before the
     * old one is removed (compute, put, then remove what is stale). During a key change both the old and the new
     * placeholders of a session are accepted for the moment its re-index takes; a valid one is never refused.
     * (The old code removed, recomputed and put back, and cleared every session on a key event: 403s under load.)
     */
    private synchronized void setKey(byte[] newKey) {
        key = newKey;
        sessions.values().forEach(this::index);
    }

    private synchronized void putSession(CollabSession cs) {
        sessions.put(key(cs.getMetadata().getNamespace(), cs.getMetadata().getName()), cs);
        index(cs);
    }

    private synchronized void removeSession(CollabSession cs) {
        String k = key(cs.getMetadata().getNamespace(), cs.getMetadata().getName());
        sessions.remove(k);
        Set<String> old = placeholderBySession.remove(k);
        if (old != null) {
            old.forEach(byPlaceholder::remove);
        }
    }

    /** The session's entries replaced in place: the new ones are visible before the stale ones go. */
    private void index(CollabSession cs) {
        String k = key(cs.getMetadata().getNamespace(), cs.getMetadata().getName());
        Map<String, Target> entries = entries(cs);
        Set<String> old = entries.isEmpty()
                ? placeholderBySession.remove(k)
                : placeholderBySession.put(k, Set.copyOf(entries.keySet()));
        byPlaceholder.putAll(entries);
        if (old != null) {
            old.stream().filter(p -> !entries.containsKey(p)).forEach(byPlaceholder::remove);
        }
    }

    /**
     * The session's placeholders and target under the current key, none when it is not a Gateway-mode session. A
     * session running on a claimed warm worker (status.podName names a pod other than its own name; only the
     * operator writes status) also answers for that worker's placeholder, which the worker started with.
     */
    private Map<String, Target> entries(CollabSession cs) {
        byte[] currentKey = key;
        if (currentKey == null
                || cs.getSpec() == null
                || cs.getSpec().getCredentials() == null
                || cs.getMetadata().getUid() == null
                || CredentialsMode.effective(cs.getSpec(), settings.defaultMode()) != CredentialsMode.Gateway) {
            return Map.of();
        }
        String ns = cs.getMetadata().getNamespace();
        String name = cs.getMetadata().getName();
        Target target = target(cs);
        Map<String, Target> entries = new java.util.HashMap<>();
        entries.put(Placeholders.access(currentKey, ns, name, cs.getMetadata().getUid()), target);
        String pod = cs.getStatus() == null ? null : cs.getStatus().getPodName();
        if (pod != null && !pod.equals(name)) {
            entries.put(Placeholders.warmAccess(currentKey, ns, pod), target);
        }
        return entries;
    }

    private static Target target(CollabSession cs) {
        return new Target(
                cs.getMetadata().getNamespace(),
                cs.getMetadata().getName(),
                CollabLabels.ownerLabelValue(cs.getSpec().getOwner()),
                cs.getSpec().getCredentials().getSecretName(),
                podIp(cs),
                cs.getSpec().getCredentials().getBudget(),
                EgressPolicy.sessionEntries(
                        cs.getSpec().getEgress() == null
                                ? List.of()
                                : cs.getSpec().getEgress().getAllow()));
    }

    private void putSecret(Secret s) {
        String k = key(s.getMetadata().getNamespace(), s.getMetadata().getName());
        String owner = s.getMetadata().getLabels() == null
                ? null
                : s.getMetadata().getLabels().get(CollabLabels.OWNER);
        if (owner == null) {
            pools.remove(k);
            return;
        }
        AccountPool pool = pools.compute(
                k,
                (key, old) -> old != null && old.owner().equals(owner)
                        ? old
                        : new AccountPool(
                                s.getMetadata().getNamespace(), s.getMetadata().getName(), owner));
        pool.update(s);
    }

    /** The host of status.endpoint: the operator publishes it only while the pod is Ready. */
    static String podIp(CollabSession cs) {
        String endpoint = cs.getStatus() == null ? null : cs.getStatus().getEndpoint();
        if (endpoint == null) {
            return null;
        }
        try {
            String host = URI.create(endpoint).getHost();
            return host == null ? null : host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static String key(String namespace, String name) {
        return namespace + "/" + name;
    }

    @Override
    public void close() {
        informers.forEach(SharedIndexInformer::close);
        informers.clear();
    }
}
