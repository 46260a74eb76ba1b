package dev.collab.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.collab.router.RouteTable.RouteClass;
import io.vertx.core.http.HttpMethod;
import java.io.InputStream;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The route table against opencode's own OpenAPI document (src/test/resources/opencode/openapi.json, fetched from
 * {@code GET /doc} of the pinned opencode by tools/opencode-routes/refresh.sh), and how paths are matched.
 */
class RouteTableTest {
    static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options");
    static final RouteTable TABLE = RouteTable.opencode();

    static Set<String> documented() throws Exception {
        try (InputStream in = RouteTableTest.class.getResourceAsStream("/opencode/openapi.json")) {
            JsonNode paths = new ObjectMapper().readTree(in).get("paths");
            Set<String> routes = new TreeSet<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = paths.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> p = it.next();
                for (Iterator<String> m = p.getValue().fieldNames(); m.hasNext();) {
                    String method = m.next();
                    if (METHODS.contains(method)) {
                        routes.add(method.toUpperCase() + " " + p.getKey());
                    }
                }
            }
            return routes;
        }
    }

    @Test
    void everyRouteOfOpencodeIsClassifiedAndNoOtherOne() throws Exception {
        Set<String> documented = documented();
        Set<String> classified = TABLE.routes().stream().map(r -> r.method().name() + " " + r.path())
                .collect(Collectors.toCollection(TreeSet::new));
        Set<String> missing = new TreeSet<>(documented);
        missing.removeAll(classified);
        Set<String> stale = new TreeSet<>(classified);
        stale.removeAll(documented);
        assertTrue(missing.isEmpty(), "routes of opencode's /doc not classified in " + RouteTable.RESOURCE
                + " (add each with allow, deny or redact): " + missing);
        assertTrue(stale.isEmpty(), "routes in " + RouteTable.RESOURCE + " that opencode no longer has: " + stale);
        assertEquals(documented.size(), TABLE.routes().size(), "each route classified once");
    }

    @Test
    void matchesLikeOpencode() {
        assertEquals(RouteClass.DENY, TABLE.classify(HttpMethod.PUT, "/auth/anthropic"));
        assertEquals(RouteClass.DENY, TABLE.classify(HttpMethod.PUT, "/AUTH/Anthropic/"));
        assertEquals(RouteClass.DENY, TABLE.classify(HttpMethod.PUT, "//auth///x"));
        assertEquals(RouteClass.DENY, TABLE.classify(HttpMethod.PUT, "/auth/x;y=1"));
        assertEquals(RouteClass.DENY, TABLE.classify(HttpMethod.PUT, "/auth/%41nthropic%2Fx"), "an encoded parameter");
        assertEquals(RouteClass.DENY, TABLE.classify(HttpMethod.PATCH, "/%43onfig"));
        assertEquals(RouteClass.REDACT, TABLE.classify(HttpMethod.GET, "/config;x/providers"), "the path ends at ';'");
        assertEquals(RouteClass.REDACT, TABLE.classify(HttpMethod.GET, "/CONFIG/providers"));
        assertEquals(RouteClass.REDACT, TABLE.classify(HttpMethod.GET, "/config/providers#x"));
        assertEquals(RouteClass.ALLOW, TABLE.classify(HttpMethod.GET, "/session/status"));
        assertEquals(RouteClass.ALLOW, TABLE.classify(HttpMethod.GET, "/api/fs/read/a/b/c.txt"), "wildcard route");
        assertEquals(RouteClass.ALLOW, TABLE.classify(HttpMethod.GET, "/pty/p1/connect"));
        assertEquals(RouteClass.UNKNOWN, TABLE.classify(HttpMethod.GET, "/assets/index.js"));
        assertEquals(RouteClass.UNKNOWN, TABLE.classify(HttpMethod.POST, "/config"), "no POST route on /config");
        assertEquals(RouteClass.UNKNOWN, TABLE.classify(HttpMethod.GET, "/config%2Fproviders"),
                "opencode does not split at an encoded slash either");
        assertEquals(RouteClass.UNKNOWN, TABLE.classify(HttpMethod.GET, "/"));
    }

    @Test
    void theStrictestOfSeveralMatchingRoutesWins() {
        RouteTable t = new RouteTable(RouteTable.parse(java.util.List.of("GET\t/a/{id}\tallow\t", "GET\t/a/b\tredact\t",
                "POST\t/a/{id}\tdeny\t", "POST\t/a/b\tallow\t")));
        assertEquals(RouteClass.REDACT, t.classify(HttpMethod.GET, "/a/B"));
        assertEquals(RouteClass.ALLOW, t.classify(HttpMethod.GET, "/a/c"));
        assertEquals(RouteClass.DENY, t.classify(HttpMethod.POST, "/a/b"));
    }
}
