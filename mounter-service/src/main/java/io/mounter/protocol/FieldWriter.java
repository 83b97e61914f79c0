package io.mounter.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Builds a message: header, then fields; refuses to grow past its limit. */
final class FieldWriter {
    private final ByteBuffer out;

    FieldWriter(int limit) {
        out = ByteBuffer.allocate(limit).order(ByteOrder.LITTLE_ENDIAN);
    }

    FieldWriter header(int kind, int id, int status) {
        out.put((byte) 'M').put((byte) 'N').put((byte) 'T').put((byte) 'R');
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
        out.putShort((short) tag.code).putShort((short) value.length).put(value);
        return this;
    }

    FieldWriter u32(Tag tag, long value) {
        out.putShort((short) tag.code).putShort((short) 4).putInt((int) value);
        return this;
    }

    FieldWriter u64(Tag tag, long value) {
        out.putShort((short) tag.code).putShort((short) 8).putLong(value);
        return this;
    }

    int size() {
        return out.position();
    }

    int remaining() {
        return out.remaining();
    }

    byte[] toBytes() {
        byte[] bytes = new byte[out.position()];
        out.get(0, bytes);
        return bytes;
    }
}
