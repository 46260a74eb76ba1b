package dev.collab.router;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.collab.router.RouteTable.RouteClass;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import java.io.ByteArrayOutputStream;
import java.util.Set;
import java.util.TreeSet;

/**
 * Response hook for the routes the table marks {@code redact} (opencode's config, provider and integration
 * reads): replaces secret values in the JSON in one streaming pass. Secret are the values of fields named like
 * a credential (key, apiKey, access, refresh, token, authorization, ...) and every value inside a
 * {@code headers} or {@code environment} object (custom auth headers of providers, env of MCP servers).
 */
final class SecretRedaction implements ResponseTransform {
    static final String REDACTED = "[redacted]";
    static final Set<String> SECRET_FIELDS = caseInsensitive(
            "key",
            "apiKey",
            "api_key",
            "api-key",
            "x-api-key",
            "access",
            "refresh",
            "token",
            "accessToken",
            "access_token",
            "refreshToken",
            "refresh_token",
            "authorization",
            "secret",
            "clientSecret",
            "client_secret",
            "password",
            "cookie");
    static final Set<String> SECRET_MAPS = caseInsensitive("headers", "environment");

    private final JsonFactory json = new JsonFactory();

    @Override
    public boolean appliesTo(HttpMethod method, RouteClass routeClass) {
        return routeClass == RouteClass.REDACT && method == HttpMethod.GET;
    }

    @Override
    public Buffer transform(Buffer body) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length());
        try (JsonParser p = json.createParser(body.getBytes());
                JsonGenerator g = json.createGenerator(out)) {
            // one flag per open container: are all values in it secret?
            boolean[] secret = new boolean[64];
            boolean[] array = new boolean[64];
            int depth = 0;
            String field = null;
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                boolean inherited = depth > 0 && secret[depth - 1];
                switch (t) {
                    case FIELD_NAME -> {
                        field = p.currentName();
                        g.writeFieldName(field);
                    }
                    case START_OBJECT, START_ARRAY -> {
                        if (depth == secret.length) {
                            throw new IllegalArgumentException("JSON nested deeper than " + secret.length);
                        }
                        boolean named = depth > 0 && !array[depth - 1] && field != null;
                        secret[depth] = inherited
                                || named
                                        && (SECRET_MAPS.contains(field)
                                                || t == JsonToken.START_ARRAY && SECRET_FIELDS.contains(field));
                        array[depth] = t == JsonToken.START_ARRAY;
                        depth++;
                        field = null;
                        g.copyCurrentEvent(p);
                    }
                    case END_OBJECT, END_ARRAY -> {
                        depth--;
                        g.copyCurrentEvent(p);
                    }
                    case VALUE_NULL -> g.writeNull();
                    default -> {
                        boolean named =
                                depth > 0 && !array[depth - 1] && field != null && SECRET_FIELDS.contains(field);
                        if (inherited || named) {
                            g.writeString(REDACTED);
                        } else {
                            g.copyCurrentEvent(p);
                        }
                    }
                }
            }
        }
        return Buffer.buffer(out.toByteArray());
    }

    @Override
    public String failure() {
        return "session answered a config or provider read with something that is not JSON";
    }

    private static Set<String> caseInsensitive(String... names) {
        Set<String> s = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        s.addAll(Set.of(names));
        return s;
    }
}
