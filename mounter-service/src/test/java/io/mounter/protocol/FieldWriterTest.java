package io.mounter.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.BufferOverflowException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class FieldWriterTest {
    @Test
    void growsPastItsFirstBufferAndKeepsEveryByte() {
        byte[] big = new byte[3000];
        Arrays.fill(big, (byte) 'x');
        byte[] message = new FieldWriter(Limits.MAX_REPLY).header(0x8001, 7, 0).u32(Tag.CURSOR, 5)
                .bytes(Tag.ENTRY, big).u64(Tag.CREATED_AT, 1L << 40).toBytes();
        assertEquals(Limits.HEADER_SIZE + 8 + 4 + big.length + 12, message.length);
        assertArrayEquals(new byte[] {'M', 'N', 'T', 'R'}, Arrays.copyOf(message, 4));
        byte[] entry = Arrays.copyOfRange(message, Limits.HEADER_SIZE + 8 + 4, Limits.HEADER_SIZE + 8 + 4 + big.length);
        assertArrayEquals(big, entry);
        assertEquals(1, message[message.length - 3]); // 1 << 40, little-endian: byte 5 of 8
    }

    @Test
    void remainingCountsToTheLimitNotToTheBuffer() {
        FieldWriter out = new FieldWriter(1000).header(1, 1, 0);
        assertEquals(1000 - Limits.HEADER_SIZE, out.remaining());
    }

    @Test
    void refusesToGrowPastTheLimit() {
        FieldWriter out = new FieldWriter(600).header(1, 1, 0);
        out.bytes(Tag.ENTRY, new byte[500]);
        assertThrows(BufferOverflowException.class, () -> out.bytes(Tag.ENTRY, new byte[100]));
        assertEquals(Limits.HEADER_SIZE + 504, out.size());
    }
}
