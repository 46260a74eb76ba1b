package dev.collab.api;

import java.net.IDN;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * One entry of an egress allowlist: {@code host[:port]}, {@code *.domain[:port]} (subdomains, not the domain itself)
 * or an address range {@code a.b.c.d/n[:port]} / {@code [v6]/n[:port]} (a bare address is a /32 or /128). Without a
 * port the entry allows 80 and 443; {@code :*} allows any port. Host names compare in their ASCII (IDNA) form, case
 * and a trailing dot ignored.
 *
 * @param host    ASCII lower-case host or domain (after "*."), null for an address range
 * @param network the range's first address, null for a host entry
 */
public record EgressPattern(String text, String host, boolean subdomains, InetAddress network, int prefix, int port) {
    /** {@link #port} of an entry without a port: 80 and 443. */
    public static final int WEB_PORTS = -1;
    /** {@link #port} of {@code :*}. */
    public static final int ANY_PORT = 0;

    /** Parses an entry, or throws IllegalArgumentException with a message a person can act on. */
    public static EgressPattern parse(String text) {
        if (text == null || text.isBlank() || text.length() > 260) {
            throw new IllegalArgumentException("empty or longer than 260 characters");
        }
        String s = text.trim();
        if (!s.startsWith("[") && s.indexOf(':') != s.lastIndexOf(':')) {
            throw new IllegalArgumentException(
                    "\"" + text + "\": write an IPv6 range in brackets, e.g. [fd00::]/8:443");
        }
        String hostPart = s;
        int port = WEB_PORTS;
        int colon = s.startsWith("[") ? s.indexOf(':', Math.max(0, s.indexOf(']'))) : s.lastIndexOf(':');
        if (colon >= 0) {
            hostPart = s.substring(0, colon);
            port = parsePort(s.substring(colon + 1), text);
        }
        if (looksLikeAddress(hostPart)) {
            return range(text, hostPart, port);
        }
        boolean subdomains = hostPart.startsWith("*.");
        String host = normaliseHost(subdomains ? hostPart.substring(2) : hostPart);
        if (host == null || host.isEmpty() || host.contains("*")) {
            throw new IllegalArgumentException("\"" + text + "\" is not a host name, *.domain or address range");
        }
        return new EgressPattern(text, host, subdomains, null, 0, port);
    }

    /** Whether {@code asciiHost} (from {@link #normaliseHost}) is one this host entry names. */
    public boolean matchesHost(String asciiHost) {
        if (host == null || asciiHost == null) {
            return false;
        }
        return subdomains ? asciiHost.endsWith("." + host) : asciiHost.equals(host);
    }

    public boolean allowsPort(int p) {
        return port == ANY_PORT || (port == WEB_PORTS ? p == 80 || p == 443 : p == port);
    }

    /** Whether this address-range entry contains the address. */
    public boolean contains(InetAddress address) {
        if (network == null || address == null) {
            return false;
        }
        byte[] a = address.getAddress();
        byte[] n = network.getAddress();
        if (a.length != n.length) {
            return false;
        }
        int bits = prefix;
        for (int i = 0; i < a.length && bits > 0; i++, bits -= 8) {
            int mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
            if ((a[i] & mask) != (n[i] & mask)) {
                return false;
            }
        }
        return true;
    }

    public boolean isRange() {
        return network != null;
    }

    /**
     * A host as compared: IPv6 brackets removed, trailing dot removed, IDNA ASCII form, lower case; null when it is
     * not a valid name.
     */
    public static String normaliseHost(String host) {
        if (host == null) {
            return null;
        }
        String h = host.trim();
        if (h.startsWith("[") && h.endsWith("]")) {
            return h.substring(1, h.length() - 1).toLowerCase(Locale.ROOT);
        }
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        try {
            return IDN.toASCII(h, IDN.USE_STD3_ASCII_RULES).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** An IPv4 literal or an IPv6 literal (with or without brackets). */
    public static boolean looksLikeAddress(String host) {
        String h = host.startsWith("[") ? host : host.replaceFirst("/\\d+$", "");
        return h.startsWith("[") || h.contains(":") || h.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
    }

    /**
     * The address an IPv4 (dotted quad) or IPv6 literal (brackets optional) names, or null; never a DNS lookup (a
     * string InetAddress would take for a name is refused first).
     */
    public static InetAddress literalAddress(String text) {
        String t = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
        if (t.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")) {
            for (String octet : t.split("\\.")) {
                if (Integer.parseInt(octet) > 255) {
                    return null;
                }
            }
        } else if (!t.contains(":") || !t.matches("[0-9a-fA-F:.]+")) {
            return null;
        }
        try {
            return InetAddress.getByName(t);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static EgressPattern range(String text, String hostPart, int port) {
        String addr = hostPart;
        int prefix = -1;
        int slash = hostPart.lastIndexOf('/');
        if (slash >= 0) {
            addr = hostPart.substring(0, slash);
            try {
                prefix = Integer.parseInt(hostPart.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("\"" + text + "\": the prefix length is not a number");
            }
        }
        if (addr.startsWith("[") && addr.endsWith("]")) {
            addr = addr.substring(1, addr.length() - 1);
        }
        InetAddress network = literalAddress(addr);
        if (network == null) {
            throw new IllegalArgumentException("\"" + text + "\" is not an address");
        }
        int max = network.getAddress().length * 8;
        if (prefix < 0) {
            prefix = max;
        }
        if (prefix > max) {
            throw new IllegalArgumentException("\"" + text + "\": prefix longer than " + max + " bits");
        }
        return new EgressPattern(text, null, false, network, prefix, port);
    }

    private static int parsePort(String p, String text) {
        if (p.equals("*")) {
            return ANY_PORT;
        }
        try {
            int port = Integer.parseInt(p);
            if (port >= 1 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("\"" + text + "\": the port must be 1-65535 or *");
    }
}
