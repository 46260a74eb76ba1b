package dev.collab.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ContractTest {

    @Test
    void goDurations() {
        assertThat(GoDuration.parse("30m")).isEqualTo(Duration.ofMinutes(30));
        assertThat(GoDuration.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(GoDuration.parse("1.5h")).isEqualTo(Duration.ofMinutes(90));
        assertThat(GoDuration.parse("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(GoDuration.parse("0")).isZero();
        assertThatThrownBy(() -> GoDuration.parse("30")).hasMessageContaining("'30'");
        assertThatThrownBy(() -> GoDuration.parse("-5m")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GoDuration.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void ownerBecomesAValidLabelValue() {
        assertThat(CollabLabels.ownerLabelValue("Alice@Example.com")).isEqualTo("alice-example.com");
        assertThat(CollabLabels.ownerLabelValue("  bob  ")).isEqualTo("bob");
        String longOwner = "a".repeat(80) + "@example.com";
        String value = CollabLabels.ownerLabelValue(longOwner);
        assertThat(value).hasSizeLessThanOrEqualTo(63).matches("[a-z0-9]([-a-z0-9._]*[a-z0-9])?");
        assertThat(CollabLabels.ownerLabelValue("b".repeat(80) + "@example.com")).isNotEqualTo(value);
        assertThat(CollabLabels.ownerLabelValue("@@@")).matches("h-[0-9a-f]{10}");
    }
}
