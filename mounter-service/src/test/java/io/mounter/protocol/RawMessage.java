package io.mounter.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Builds messages byte by byte, independently of {@link MessageCodec}, so tests can write
 * exactly the malformed input they mean. Tag numbers are the ones docs/protocol.md gives.
 */
final class RawMessage {
    static final int SOURCE = 1;
    static final int TARGET = 2;
    static final int FSTYPE = 3;
    static final int MOUNT_FLAGS = 4;
    static final int DATA = 5;
    static final int FD = 6;
    static final int UMOUNT_FLAGS = 7;
    static final int CURSOR = 8;
    static final int MESSAGE = 9;
    static final int ENTRY = 10;
    static final int DAEMON_PID = 12;
    static final int TIMEOUT_MS = 16;
    static final int EXIT_STATUS = 17;
    static final int OUTPUT = 18;

    private final ByteBuffer out = ByteBuffer.allocate(1 << 17).order(ByteOrder.LITTLE_ENDIAN);

    static RawMessage header(int version, int kind, int id, int status) {
        RawMessage raw = new RawMessage();
        raw.out.put(new byte[] {'M', 'N', 'T', 'R'}).putShort((short) version).putShort((short) kind)
                .putInt(id).putInt(status);
        return raw;
    }

    /** A version-1 request header with status 0. */
    static RawMessage request(int kind, int id) {
        return header(1, kind, id, 0);
    }

    RawMessage field(int tag, byte[] value) {
        out.putShort((short) tag).putShort((short) value.length).put(value);
        return this;
    }

    RawMessage field(int tag, String value) {
        return field(tag, value.getBytes(StandardCharsets.UTF_8));
    }

    RawMessage u32(int tag, int value) {
        out.putShort((short) tag).putShort((short) 4).putInt(value);
        return this;
    }

    RawMessage u64(int tag, long value) {
        out.putShort((short) tag).putShort((short) 8).putLong(value);
        return this;
    }

    /** Bytes as given: a field header that lies about its length, a partial field. */
    RawMessage raw(int... bytes) {
        for (int b : bytes) {
            out.put((byte) b);
        }
        return this;
    }

    byte[] bytes() {
        byte[] bytes = new byte[out.position()];
        out.get(0, bytes);
        return bytes;
    }
}
