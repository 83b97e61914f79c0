package io.mounter.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The tag-length-value fields of one message (or one nested ENTRY), checked at the edge:
 * every length within its tag's limit and the buffer, no tag twice (ENTRY excepted when
 * {@code repeatedEntries}), strings valid UTF-8 without NUL, integers of their exact size.
 */
final class Fields {
    private final Map<Tag, ByteBuffer> single = new EnumMap<>(Tag.class);
    private final List<ByteBuffer> entries = new ArrayList<>();
    private final int id;
    private final int kind;

    private Fields(int id, int kind) {
        this.id = id;
        this.kind = kind;
    }

    static Fields parse(ByteBuffer buffer, int id, int kind, boolean repeatedEntries) {
        Fields fields = new Fields(id, kind);
        ByteBuffer in = buffer.slice().order(ByteOrder.LITTLE_ENDIAN);
        while (in.hasRemaining()) {
            if (in.remaining() < 4) {
                throw fields.malformed("truncated field header");
            }
            int code = Short.toUnsignedInt(in.getShort());
            int length = Short.toUnsignedInt(in.getShort());
            Tag tag = Tag.of(code);
            if (tag == null) {
                throw fields.malformed("unknown field tag " + code);
            }
            if (length > in.remaining()) {
                throw fields.malformed("field " + tag + " of " + length + " bytes overruns the message");
            }
            if (length > tag.maxLength) {
                throw fields.malformed("field " + tag + " longer than " + tag.maxLength + " bytes");
            }
            ByteBuffer value = in.slice(in.position(), length).order(ByteOrder.LITTLE_ENDIAN);
            in.position(in.position() + length);
            fields.add(tag, value, repeatedEntries);
        }
        return fields;
    }

    private void add(Tag tag, ByteBuffer value, boolean repeatedEntries) {
        if (tag == Tag.ENTRY && repeatedEntries) {
            entries.add(value);
        } else if (single.putIfAbsent(tag, value) != null) {
            throw malformed("field " + tag + " appears twice");
        }
    }

    MalformedMessageException malformed(String reason) {
        return new MalformedMessageException(io.mounter.linux.Errno.EBADMSG, reason, id, kind);
    }

    MalformedMessageException invalid(String reason) {
        return new MalformedMessageException(io.mounter.linux.Errno.EINVAL, reason, id, kind);
    }

    /** Refuses a field that exists but does not belong to this operation. */
    void requireOnly(java.util.Set<Tag> allowed) {
        for (Tag tag : single.keySet()) {
            if (!allowed.contains(tag)) {
                throw malformed("field " + tag + " does not belong in this request");
            }
        }
    }

    boolean has(Tag tag) {
        return single.containsKey(tag);
    }

    List<ByteBuffer> entries() {
        return entries;
    }

    String string(Tag tag, String absent) {
        ByteBuffer value = single.get(tag);
        if (value == null) {
            return absent;
        }
        for (int i = value.position(); i < value.limit(); i++) {
            if (value.get(i) == 0) {
                throw malformed("field " + tag + " contains a NUL byte");
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(value.duplicate()).toString();
        } catch (CharacterCodingException e) {
            throw malformed("field " + tag + " is not valid UTF-8");
        }
    }

    long u64(Tag tag, long absent) {
        return number(tag, 8, absent);
    }

    /** An unsigned 32-bit field as a long, so no value turns negative. */
    long u32(Tag tag, long absent) {
        return number(tag, 4, absent);
    }

    private long number(Tag tag, int size, long absent) {
        ByteBuffer value = single.get(tag);
        if (value == null) {
            return absent;
        }
        if (value.remaining() != size) {
            throw malformed("field " + tag + " must be " + size + " bytes, not " + value.remaining());
        }
        return size == 8 ? value.getLong(value.position()) : Integer.toUnsignedLong(value.getInt(value.position()));
    }
}
