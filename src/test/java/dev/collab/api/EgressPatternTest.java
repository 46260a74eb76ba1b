package dev.collab.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The grammar of an egress allowlist entry, and the messages a person gets for a wrong one. */
class EgressPatternTest {
    @Test
    void hostsWildcardsRangesAndPorts() {
        EgressPattern host = EgressPattern.parse("Registry.NPMJS.org.");
        assertThat(host.host()).isEqualTo("registry.npmjs.org");
        assertThat(host.allowsPort(443)).isTrue();
        assertThat(host.allowsPort(80)).isTrue();
        assertThat(host.allowsPort(22)).isFalse();
        EgressPattern wild = EgressPattern.parse("*.github.com:*");
        assertThat(wild.subdomains()).isTrue();
        assertThat(wild.allowsPort(22)).isTrue();
        EgressPattern v6 = EgressPattern.parse("[2001:db8::]/32:443");
        assertThat(v6.isRange()).isTrue();
        assertThat(v6.prefix()).isEqualTo(32);
        assertThat(v6.port()).isEqualTo(443);
        assertThat(EgressPattern.parse("10.0.0.7").prefix())
                .as("a bare address")
                .isEqualTo(32);
    }

    @Test
    void wrongEntriesSayWhatIsWrong() {
        assertThatThrownBy(() -> EgressPattern.parse("a.com:0")).hasMessageContaining("port must be 1-65535 or *");
        assertThatThrownBy(() -> EgressPattern.parse("fd00::/8")).hasMessageContaining("in brackets");
        assertThatThrownBy(() -> EgressPattern.parse("10.0.0.0/33")).hasMessageContaining("prefix longer than 32");
        assertThatThrownBy(() -> EgressPattern.parse("*.*.com")).hasMessageContaining("not a host name");
        assertThatThrownBy(() -> EgressPattern.parse("under_score.com")).hasMessageContaining("not a host name");
        assertThatThrownBy(() -> EgressPattern.parse(" ")).hasMessageContaining("empty");
    }

    @Test
    void literalsAreNeverLookedUp() {
        assertThat(EgressPattern.literalAddress("999.1.1.1")).isNull();
        assertThat(EgressPattern.literalAddress("example.com")).isNull();
        assertThat(EgressPattern.literalAddress("[::1]")).isNotNull();
    }
}
