package dev.collab.bench;

import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.HttpURLConnection;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Wraps the CRUD dispatcher: counts every request by source (the bench's own client identifies
 * itself by User-Agent; everything else is the operator), verb (GET, LIST, WATCH, POST, PUT, PATCH,
 * DELETE) and kind (plural, plus "/status" for the subresource), and answers Event creations itself
 * (counted, 201, not stored: the bench never reads them and they would only grow the store the mock
 * server scans). Writes are serialised here, reads run concurrently.
 */
final class CountingDispatcher extends Dispatcher {
    static final String BENCH_AGENT = "collab-bench";
    private static final Pattern PATH = Pattern.compile(
            "^/(?:api/v1|apis/[^/]+/[^/]+)(?:/namespaces/[^/]+)?/([^/?]+)(?:/([^/?]+))?(?:/([^/?]+))?.*$");

    private final Dispatcher delegate;
    private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
    private final ReadWriteLock lock = new ReentrantReadWriteLock();

    CountingDispatcher(Dispatcher delegate) {
        this.delegate = delegate;
    }

    /** source, verb, kind joined by spaces -> count. */
    Map<String, Long> snapshot() {
        Map<String, Long> copy = new TreeMap<>();
        counts.forEach((k, v) -> copy.put(k, v.sum()));
        return copy;
    }

    static String kind(String path) {
        String p = path;
        Matcher m = PATH.matcher(p);
        if (!m.matches()) {
            return p.split("\\?")[0];
        }
        String plural = m.group(1);
        if ("namespaces".equals(plural) && m.group(2) != null) {
            return "namespaces";
        }
        return m.group(3) != null ? plural + "/" + m.group(3) : plural;
    }

    static boolean hasName(String path) {
        Matcher m = PATH.matcher(path);
        return m.matches() && m.group(2) != null;
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        String path = request.getPath();
        String agent = request.getHeader("User-Agent");
        String source = agent != null && agent.startsWith(BENCH_AGENT) ? "bench" : "operator";
        String method = request.getMethod();
        String verb = method;
        if ("GET".equals(method)) {
            verb = path.contains("watch=true") ? "WATCH" : hasName(path) ? "GET" : "LIST";
        }
        String kind = kind(path);
        counts.computeIfAbsent(source + " " + verb + " " + kind, k -> new LongAdder()).increment();
        if ("POST".equals(method) && "events".equals(kind)) {
            return new MockResponse().setResponseCode(HttpURLConnection.HTTP_CREATED).setBody(request.getUtf8Body());
        }
        if ("POST".equals(method) && "selfsubjectrulesreviews".equals(kind)) {
            // The mock server has no authorization API; JOSDK's leader election asks it once at start
            // whether it may use Leases. Answer what the operator's RBAC (deploy/operator-rbac.yaml) grants.
            return new MockResponse().setResponseCode(HttpURLConnection.HTTP_CREATED).setBody(
                    "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SelfSubjectRulesReview\","
                            + "\"metadata\":{},\"spec\":{},\"status\":{\"incomplete\":false,\"resourceRules\":[{"
                            + "\"apiGroups\":[\"coordination.k8s.io\"],\"resources\":[\"leases\"],"
                            + "\"verbs\":[\"get\",\"create\",\"update\"]}],\"nonResourceRules\":[]}}");
        }
        boolean write = !"GET".equals(method);
        var l = write ? lock.writeLock() : lock.readLock();
        l.lock();
        try {
            return delegate.dispatch(request);
        } finally {
            l.unlock();
        }
    }

    @Override
    public void shutdown() {
        delegate.shutdown();
    }
}
