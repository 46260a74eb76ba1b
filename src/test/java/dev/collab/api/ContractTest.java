package dev.collab.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ContractTest {
    private static final String LABEL_VALUE = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";

    @Test
    void ownerBecomesAValidLabelValue() {
        assertThat(CollabLabels.ownerLabelValue("Alice@Example.com"))
                .as("readable prefix, then 16 hex digits of sha256 of the exact owner")
                .matches("alice-example\\.com-[0-9a-f]{16}")
                .endsWith(CollabLabels.sha256Hex("Alice@Example.com").substring(0, 16));
        assertThat(CollabLabels.ownerLabelValue("  bob  ")).matches("bob-[0-9a-f]{16}");
        String longOwner = "a".repeat(80) + "@example.com";
        String value = CollabLabels.ownerLabelValue(longOwner);
        assertThat(value).hasSizeLessThanOrEqualTo(63).matches(LABEL_VALUE);
        assertThat(CollabLabels.ownerLabelValue("b".repeat(80) + "@example.com"))
                .isNotEqualTo(value);
        assertThat(CollabLabels.ownerLabelValue("@@@")).matches("[0-9a-f]{16}");
    }

    /** Issue 30 item 2: before, both owners got "alice-example.com", so a Secret opted in for one served the other. */
    @Test
    void ownersThatDifferOnlyInPunctuationOrCaseGetDifferentLabels() {
        String[] owners = {
            "alice@example.com",
            "alice-example.com",
            "alice.example.com",
            "Alice@example.com",
            "alice@example.com ",
            "ALICE@EXAMPLE.COM",
            "alice_example.com",
            "a".repeat(80) + "@example.com",
            "a".repeat(80) + "@example.org",
            "a".repeat(46) + "-" + "x",
        };
        java.util.Set<String> values = new java.util.HashSet<>();
        for (String owner : owners) {
            String v = CollabLabels.ownerLabelValue(owner);
            assertThat(v).as(owner).hasSizeLessThanOrEqualTo(63).matches(LABEL_VALUE);
            assertThat(values.add(v)).as("label of %s is unique: %s", owner, v).isTrue();
        }
        assertThat(CollabLabels.ownerLabelValue("alice@example.com"))
                .isNotEqualTo(CollabLabels.ownerLabelValue("alice-example.com"));
    }

    /** The value of before issue 30 is recognised (to say how to relabel), never taken as the owner's. */
    @Test
    void legacyOwnerLabelsAreRecognisedNotAccepted() {
        assertThat(CollabLabels.legacyOwnerLabelValue("alice@example.com")).isEqualTo("alice-example.com");
        assertThat(CollabLabels.isLegacyOwnerLabel("alice-example.com", "alice@example.com"))
                .isTrue();
        assertThat(CollabLabels.isLegacyOwnerLabel(
                        CollabLabels.ownerLabelValue("alice@example.com"), "alice@example.com"))
                .isFalse();
        assertThat(CollabLabels.isLegacyOwnerLabel("bob-example.com", "alice@example.com"))
                .isFalse();
        assertThat(CollabLabels.credentialSecretLabels("alice@example.com"))
                .containsEntry(CollabLabels.OWNER, CollabLabels.ownerLabelValue("alice@example.com"));
    }
}
