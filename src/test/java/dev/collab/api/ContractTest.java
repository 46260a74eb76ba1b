package dev.collab.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ContractTest {

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
