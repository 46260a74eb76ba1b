package dev.collab.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The kube-apiserver audit log (JSON lines, one event per completed request): how the tier counts API writes and
 * finds refused requests. The policy logs every write and every request of a ServiceAccount, at Metadata level, so
 * no object body (and no Secret value) is ever written.
 */
public final class AuditLog {
    public static final Set<String> WRITE_VERBS = Set.of("create", "update", "patch", "delete", "deletecollection");
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;

    AuditLog(Path file) {
        this.file = file;
    }

    /** One audited request. */
    public record Event(
            String verb,
            String user,
            String resource,
            String subresource,
            String namespace,
            String name,
            int code,
            String auditId,
            String userAgent) {
        public boolean isWrite() {
            return WRITE_VERBS.contains(verb);
        }

        public boolean by(String username) {
            return username.equals(user);
        }

        @Override
        public String toString() {
            return user + " " + verb + " " + resource + (subresource.isEmpty() ? "" : "/" + subresource) + " "
                    + namespace + "/" + name + " -> " + code;
        }
    }

    /** A position in the log: {@link #since(long)} returns the events after it. */
    public long mark() {
        return lines().size();
    }

    public List<Event> events() {
        return since(0);
    }

    public List<Event> since(long mark) {
        List<String> lines = lines();
        List<Event> events = new ArrayList<>();
        for (int i = (int) Math.min(mark, lines.size()); i < lines.size(); i++) {
            try {
                events.add(parse(lines.get(i)));
            } catch (UncheckedIOException e) {
                if (i < lines.size() - 1) {
                    throw e; // only the line being written may be incomplete
                }
            }
        }
        return events;
    }

    /** Writes after the mark that match the filter, e.g. {@code writes(m, e -> e.by(operatorUser))}. */
    public List<Event> writes(long mark, Predicate<Event> filter) {
        return since(mark).stream().filter(Event::isWrite).filter(filter).toList();
    }

    /** Requests after the mark that the API server refused with 403 Forbidden for this user. */
    public List<Event> forbidden(long mark, String username) {
        return since(mark).stream()
                .filter(e -> e.code() == 403 && e.by(username))
                .toList();
    }

    /** The username of a ServiceAccount, as the audit log and RBAC see it. */
    public static String serviceAccount(String namespace, String name) {
        return "system:serviceaccount:" + namespace + ":" + name;
    }

    private List<String> lines() {
        try {
            return Files.exists(file)
                    ? Files.readAllLines(file).stream()
                            .filter(l -> !l.isBlank())
                            .toList()
                    : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Event parse(String line) {
        try {
            JsonNode e = JSON.readTree(line);
            JsonNode ref = e.path("objectRef");
            return new Event(
                    e.path("verb").asText(),
                    e.path("user").path("username").asText(),
                    ref.path("resource").asText(),
                    ref.path("subresource").asText(),
                    ref.path("namespace").asText(),
                    ref.path("name").asText(),
                    e.path("responseStatus").path("code").asInt(),
                    e.path("auditID").asText(),
                    e.path("userAgent").asText());
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable audit line: " + line, e);
        }
    }

    public Path file() {
        return file;
    }
}
