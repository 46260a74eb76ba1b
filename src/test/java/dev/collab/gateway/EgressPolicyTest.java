package dev.collab.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.collab.api.EgressPattern;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The allowlist and address rules of the egress proxy (pure: addresses are literals, nothing is resolved). */
class EgressPolicyTest {
    private final EgressPolicy policy = new EgressPolicy(List.of("registry.npmjs.org", "*.github.com:*"), List.of());

    @Test
    void namesMatchExactlyOrAsSubdomainsWithCaseTrailingDotAndIdnIgnored() {
        assertThat(allowed(List.of(), "registry.npmjs.org", 443)).isTrue();
        assertThat(allowed(List.of(), "REGISTRY.npmjs.org.", 80)).isTrue();
        assertThat(allowed(List.of(), "evil-registry.npmjs.org", 443)).isFalse();
        assertThat(allowed(List.of(), "registry.npmjs.org.evil.com", 443)).isFalse();
        assertThat(allowed(List.of(), "codeload.github.com", 22)).isTrue();
        assertThat(allowed(List.of(), "a.b.github.com", 443)).isTrue();
        assertThat(allowed(List.of(), "github.com", 443))
                .as("*. names subdomains only")
                .isFalse();
        List<EgressPattern> idn = EgressPolicy.sessionEntries(List.of("bücher.example"));
        assertThat(allowed(idn, "xn--bcher-kva.example", 443)).isTrue();
        assertThat(allowed(idn, "BÜCHER.example", 443)).isTrue();
    }

    @Test
    void portsAreWebPortsUnlessNamedOrStar() {
        List<EgressPattern> s = EgressPolicy.sessionEntries(List.of("pypi.org", "git.example.com:22"));
        assertThat(allowed(s, "pypi.org", 443)).isTrue();
        assertThat(allowed(s, "pypi.org", 80)).isTrue();
        assertThat(allowed(s, "pypi.org", 8443)).isFalse();
        assertThat(allowed(s, "git.example.com", 22)).isTrue();
        assertThat(allowed(s, "git.example.com", 443)).isFalse();
        assertThat(policy.decide(s, "pypi.org", 0).refusal()).contains("not a TCP port");
    }

    @Test
    void addressLiteralsNeedARangeAndHostEntriesNeverMatchThem() {
        List<EgressPattern> s = EgressPolicy.sessionEntries(List.of("140.82.112.0/20", "10.1.2.0/24:5432"));
        assertThat(allowed(s, "140.82.114.4", 443)).isTrue();
        assertThat(allowed(s, "140.82.128.1", 443)).isFalse();
        assertThat(allowed(s, "10.1.2.9", 5432)).isTrue();
        assertThat(allowed(s, "10.1.2.9", 443)).isFalse();
        assertThat(allowed(EgressPolicy.sessionEntries(List.of("1.2.3.4.example")), "1.2.3.4", 443))
                .isFalse();
        assertThat(policy.decide(List.of(), "999.1.1.1", 443).allowed()).isFalse();
    }

    @Test
    void privateLoopbackLinkLocalAndReservedAddressesAreDroppedAfterResolutionUnlessARangeAllowsThem()
            throws Exception {
        List<InetAddress> resolved = addresses(
                "140.82.114.4",
                "127.0.0.1",
                "10.0.0.1",
                "169.254.169.254",
                "172.20.0.1",
                "192.168.1.1",
                "100.64.0.1",
                "0.0.0.0",
                "::1",
                "fe80::1",
                "fd00::1",
                "::ffff:10.0.0.1",
                "2606:4700::1");
        assertThat(policy.usable(List.of(), 443, resolved))
                .extracting(InetAddress::getHostAddress)
                .containsExactly("140.82.114.4", "2606:4700:0:0:0:0:0:1");
        List<EgressPattern> s = EgressPolicy.sessionEntries(List.of("10.0.0.0/8:443", "[fd00::]/8"));
        assertThat(policy.usable(s, 443, resolved))
                .extracting(InetAddress::getHostAddress)
                .contains("10.0.0.1", "fd00:0:0:0:0:0:0:1")
                .doesNotContain("127.0.0.1", "169.254.169.254");
        assertThat(policy.usable(s, 5432, addresses("10.0.0.1")))
                .as("the range's port")
                .isEmpty();
    }

    @Test
    void configuredDenyRangesRemoveOtherwisePublicAddresses() throws Exception {
        EgressPolicy cluster = new EgressPolicy(List.of("*.example.com"), List.of("203.1.0.0/16"));
        assertThat(cluster.usable(List.of(), 443, addresses("203.1.2.3", "8.8.8.8")))
                .extracting(InetAddress::getHostAddress)
                .containsExactly("8.8.8.8");
        assertThatThrownBy(() -> new EgressPolicy(List.of(), List.of("example.com")))
                .hasMessageContaining("not an address range");
        assertThatThrownBy(() -> new EgressPolicy(List.of("exa mple.com"), List.of()))
                .hasMessageContaining("exa mple.com");
    }

    @Test
    void invalidSessionEntriesAreSkippedNotFatal() {
        assertThat(EgressPolicy.sessionEntries(List.of("*.", "a.com:99999", "[fd00::]/200", "ok.example")))
                .extracting(EgressPattern::text)
                .containsExactly("ok.example");
    }

    private boolean allowed(List<EgressPattern> session, String host, int port) {
        return policy.decide(session, host, port).allowed();
    }

    private static List<InetAddress> addresses(String... literals) throws Exception {
        java.util.ArrayList<InetAddress> out = new java.util.ArrayList<>();
        for (String l : literals) {
            out.add(InetAddress.getByName(l));
        }
        return out;
    }
}
