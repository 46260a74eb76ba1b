package dev.collab.gateway;

import dev.collab.api.EgressPattern;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a Gateway-mode session may connect through the egress proxy (pure): a host name matched against the
 * gateway's default entries and the session's own, then every resolved address checked, so that an allowed name
 * that resolves to a private, loopback, link-local, reserved or denied address (DNS rebinding to the API server, the
 * metadata address, a pod) is refused unless an address range listed in an allowlist contains it.
 */
final class EgressPolicy {
    /** Never reachable by name or literal unless an allowlist names a range containing the address. */
    static final List<EgressPattern> NOT_PUBLIC = parseAll(List.of(
            "0.0.0.0/8",
            "10.0.0.0/8",
            "100.64.0.0/10",
            "127.0.0.0/8",
            "169.254.0.0/16",
            "172.16.0.0/12",
            "192.0.0.0/24",
            "192.0.2.0/24",
            "192.88.99.0/24",
            "192.168.0.0/16",
            "198.18.0.0/15",
            "198.51.100.0/24",
            "203.0.113.0/24",
            "224.0.0.0/4",
            "240.0.0.0/4",
            "[::]/128",
            "[::1]/128",
            "[64:ff9b::]/96",
            "[64:ff9b:1::]/48",
            "[100::]/64",
            "[2001::]/23",
            "[2001:db8::]/32",
            "[2002::]/16",
            "[fc00::]/7",
            "[fe80::]/10",
            "[ff00::]/8"));

    /** The verdict on a host and port: the entry that allows it, or why not. */
    record Decision(EgressPattern rule, String refusal) {
        boolean allowed() {
            return rule != null;
        }
    }

    private final List<EgressPattern> defaults;
    private final List<EgressPattern> denied;

    /** Throws IllegalArgumentException naming the entry when the configuration holds an invalid one. */
    EgressPolicy(List<String> defaults, List<String> denyRanges) {
        this.defaults = parseAll(defaults);
        this.denied = parseAll(denyRanges);
        for (EgressPattern p : denied) {
            if (!p.isRange()) {
                throw new IllegalArgumentException(
                        "collab.gateway.egress.deny-ranges: \"" + p.text() + "\" is not an address range");
            }
        }
    }

    /** The session's entries as the gateway uses them: invalid ones skipped (the operator reports them). */
    static List<EgressPattern> sessionEntries(List<String> allow) {
        List<EgressPattern> out = new ArrayList<>();
        for (String text : allow == null ? List.<String>of() : allow) {
            try {
                out.add(EgressPattern.parse(text));
            } catch (IllegalArgumentException e) {
                // skipped: condition InvalidEgressAllow on the session says why
            }
        }
        return List.copyOf(out);
    }

    /** Whether {@code host:port} is allowed by name (or, for an address literal, by a range). */
    Decision decide(List<EgressPattern> session, String host, int port) {
        if (port < 1 || port > 65535) {
            return new Decision(null, "port " + port + " is not a TCP port");
        }
        String name = EgressPattern.normaliseHost(host);
        if (name == null || name.isEmpty()) {
            return new Decision(null, "\"" + host + "\" is not a valid host name");
        }
        boolean literal = EgressPattern.looksLikeAddress(name);
        InetAddress address = literal ? literal(name) : null;
        if (literal && address == null) {
            return new Decision(null, "\"" + host + "\" is not a valid address");
        }
        for (List<EgressPattern> list : List.of(defaults, session)) {
            for (EgressPattern p : list) {
                if (p.allowsPort(port) && (literal ? p.contains(address) : p.matchesHost(name))) {
                    return new Decision(p, null);
                }
            }
        }
        return new Decision(null, (literal ? "address " : "host ") + name + " port " + port + " is not allowed");
    }

    /** The resolved addresses a connection may use (in order); empty when every one is forbidden. */
    List<InetAddress> usable(List<EgressPattern> session, int port, List<InetAddress> resolved) {
        List<InetAddress> out = new ArrayList<>();
        for (InetAddress a : resolved) {
            if (inAllowedRange(session, port, a) || (!in(NOT_PUBLIC, a) && !in(denied, a))) {
                out.add(a);
            }
        }
        return out;
    }

    private boolean inAllowedRange(List<EgressPattern> session, int port, InetAddress a) {
        for (List<EgressPattern> list : List.of(defaults, session)) {
            for (EgressPattern p : list) {
                if (p.isRange() && p.allowsPort(port) && p.contains(a)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean in(List<EgressPattern> ranges, InetAddress a) {
        for (EgressPattern p : ranges) {
            if (p.contains(a)) {
                return true;
            }
        }
        return false;
    }

    private static InetAddress literal(String text) {
        return EgressPattern.literalAddress(text);
    }

    private static List<EgressPattern> parseAll(List<String> texts) {
        List<EgressPattern> out = new ArrayList<>();
        for (String t : texts == null ? List.<String>of() : texts) {
            if (t != null && !t.isBlank()) {
                out.add(EgressPattern.parse(t));
            }
        }
        return List.copyOf(out);
    }
}
