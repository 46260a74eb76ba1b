package dev.collab.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ByteSizeTest {
    @Test
    void parsesSizes() {
        assertEquals(10L << 20, ByteSize.parse("10M"));
        assertEquals(10L << 20, ByteSize.parse("10MiB"));
        assertEquals(512L << 10, ByteSize.parse("512Ki"));
        assertEquals(2048, ByteSize.parse("2048"));
        assertEquals(1L << 30, ByteSize.parse("1G"));
        assertThrows(IllegalArgumentException.class, () -> ByteSize.parse("ten"));
    }
}
