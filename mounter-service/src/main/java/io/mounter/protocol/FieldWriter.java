package io.mounter.protocol;

import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Builds a message: header, then fields; refuses to grow past its limit (a
 * {@link BufferOverflowException}). The buffer starts small and doubles as needed: most
 * replies are a few dozen bytes, and a buffer of the 64 KiB limit per reply made most of
 * mounterd's garbage (a young collection every few milliseconds under load).
 */
final class FieldWriter {
    private static final int INITIAL_CAPACITY = 256;
    private final int limit;
    private ByteBuffer out;

    FieldWriter(int limit) {
        this.limit = limit;
        out = ByteBuffer.allocate(Math.min(INITIAL_CAPACITY, limit)).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Room for {@code bytes} more, growing the buffer within the limit. */
    private ByteBuffer room(int bytes) {
        int needed = out.position() + bytes;
        if (needed > out.capacity()) {
            if (needed > limit) {
                throw new BufferOverflowException();
            }
            int capacity = (int) Math.min(limit, Math.max(needed, 2L * out.capacity()));
            ByteBuffer grown = ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
            out = grown.put(out.flip());
        }
        return out;
    }

    FieldWriter header(int kind, int id, int status) {
        room(Limits.HEADER_SIZE).put((byte) 'M').put((byte) 'N').put((byte) 'T').put((byte) 'R');
        out.putShort((short) Limits.VERSION).putShort((short) kind).putInt(id).putInt(status);
        return this;
    }

    FieldWriter string(Tag tag, String value) {
        if (value != null) {
            bytes(tag, value.getBytes(StandardCharsets.UTF_8));
        }
        return this;
    }

    FieldWriter bytes(Tag tag, byte[] value) {
        if (value.length > tag.maxLength) {
            throw new IllegalArgumentException(tag + " longer than " + tag.maxLength + " bytes");
        }
        room(4 + value.length).putShort((short) tag.code).putShort((short) value.length).put(value);
        return this;
    }

    FieldWriter u32(Tag tag, long value) {
        room(8).putShort((short) tag.code).putShort((short) 4).putInt((int) value);
        return this;
    }

    FieldWriter u64(Tag tag, long value) {
        room(12).putShort((short) tag.code).putShort((short) 8).putLong(value);
        return this;
    }

    int size() {
        return out.position();
    }

    /** Bytes that may still be written before the limit. */
    int remaining() {
        return limit - out.position();
    }

    byte[] toBytes() {
        byte[] bytes = new byte[out.position()];
        out.get(0, bytes);
        return bytes;
    }
}
