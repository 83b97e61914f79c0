package io.mounter.protocol;

import io.mounter.linux.Errno;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Encodes and decodes protocol version 1 (docs/protocol.md). Decoding checks every limit
 * at the edge and throws {@link MalformedMessageException} carrying the errno to answer.
 */
public final class MessageCodec {
    private static final int MAGIC = 'M' | 'N' << 8 | 'T' << 16 | 'R' << 24;
    /** Room kept in a LIST reply for MESSAGE-less NEXT_CURSOR. */
    private static final int CURSOR_FIELD = 8;

    private MessageCodec() {
    }

    /** The fields a request of {@code op} may carry; an operation without its case here does not compile. */
    private static Set<Tag> requestFields(Operation op) {
        return switch (op) {
            case MOUNT -> EnumSet.of(Tag.SOURCE, Tag.TARGET, Tag.FSTYPE, Tag.MOUNT_FLAGS, Tag.DATA, Tag.FD);
            case UMOUNT -> EnumSet.of(Tag.TARGET, Tag.UMOUNT_FLAGS);
            case LIST -> EnumSet.of(Tag.CURSOR);
            case RUN_MOUNT -> EnumSet.of(Tag.SOURCE, Tag.TARGET, Tag.FSTYPE, Tag.DATA, Tag.TIMEOUT_MS);
            case STATUS -> EnumSet.noneOf(Tag.class);
        };
    }

    /**
     * Decodes a request as received: {@code truncated} when it was larger than the buffer
     * (MSG_TRUNC), which is refused with EMSGSIZE before anything of it is read.
     *
     * @throws MalformedMessageException with the errno to answer
     */
    public static Request decodeRequest(byte[] message, boolean truncated) {
        if (truncated) {
            throw new MalformedMessageException(Errno.EMSGSIZE, "request larger than " + Limits.MAX_REQUEST + " bytes",
                    0, 0);
        }
        return decodeRequest(message);
    }

    public static Request decodeRequest(byte[] message) {
        ByteBuffer in = ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN);
        if (message.length < Limits.HEADER_SIZE) {
            throw new MalformedMessageException(Errno.EBADMSG,
                    "message of " + message.length + " bytes is shorter than the 16-byte header", 0, 0);
        }
        if (in.getInt() != MAGIC) {
            throw new MalformedMessageException(Errno.EBADMSG, "bad magic, expected MNTR", 0, 0);
        }
        int version = Short.toUnsignedInt(in.getShort());
        int kind = Short.toUnsignedInt(in.getShort());
        int id = in.getInt();
        int status = in.getInt();
        if (version != Limits.VERSION) {
            throw new MalformedMessageException(Errno.EPROTONOSUPPORT,
                    "protocol version " + version + " is not supported, expected 1", id, kind);
        }
        Operation op = Operation.of(kind);
        if (op == null) {
            throw new MalformedMessageException(Errno.EINVAL, "unknown operation " + kind, id, kind);
        }
        Fields fields = Fields.parse(in, id, kind, false);
        fields.requireOnly(requestFields(op));
        if (status != 0) {
            throw fields.malformed("status of a request must be 0");
        }
        return switch (op) {
            case MOUNT -> mount(id, fields);
            case UMOUNT -> new Request.Umount(id, required(fields, Tag.TARGET), (int) fields.u32(Tag.UMOUNT_FLAGS, 0));
            case LIST -> new Request.List(id, (int) Math.min(Integer.MAX_VALUE, fields.u32(Tag.CURSOR, 0)));
            case RUN_MOUNT -> new Request.RunMount(id, required(fields, Tag.SOURCE), required(fields, Tag.TARGET),
                    required(fields, Tag.FSTYPE), fields.string(Tag.DATA, null),
                    (int) Math.min(Integer.MAX_VALUE, fields.u32(Tag.TIMEOUT_MS, 0)));
            case STATUS -> new Request.Status(id);
        };
    }

    private static Request.Mount mount(int id, Fields fields) {
        long senderFd = fields.u32(Tag.FD, -1);
        if (senderFd > Integer.MAX_VALUE) {
            throw fields.malformed("FD " + senderFd + " is not a descriptor number");
        }
        return new Request.Mount(id, fields.string(Tag.SOURCE, null), required(fields, Tag.TARGET),
                required(fields, Tag.FSTYPE), fields.u64(Tag.MOUNT_FLAGS, 0),
                fields.string(Tag.DATA, null), (int) senderFd);
    }

    private static String required(Fields fields, Tag tag) {
        if (!fields.has(tag)) {
            throw fields.invalid("field " + tag + " is required");
        }
        return fields.string(tag, null);
    }

    public static byte[] encodeRequest(Request request) {
        FieldWriter out = new FieldWriter(Limits.MAX_REQUEST).header(request.operation().code(), request.id(), 0);
        request.accept(new Request.Handler<FieldWriter>() {
            @Override
            public FieldWriter mount(Request.Mount m) {
                out.string(Tag.SOURCE, m.source()).string(Tag.TARGET, m.target()).string(Tag.FSTYPE, m.fstype())
                        .u64(Tag.MOUNT_FLAGS, m.flags()).string(Tag.DATA, m.data());
                return m.announcesDescriptor() ? out.u32(Tag.FD, m.senderFd()) : out;
            }

            @Override
            public FieldWriter umount(Request.Umount u) {
                return out.string(Tag.TARGET, u.target()).u32(Tag.UMOUNT_FLAGS, u.flags());
            }

            @Override
            public FieldWriter list(Request.List l) {
                return out.u32(Tag.CURSOR, l.cursor());
            }

            @Override
            public FieldWriter runMount(Request.RunMount r) {
                return out.string(Tag.SOURCE, r.source()).string(Tag.TARGET, r.target())
                        .string(Tag.FSTYPE, r.fstype()).string(Tag.DATA, r.options()).u32(Tag.TIMEOUT_MS, r.timeoutMillis());
            }

            @Override
            public FieldWriter status(Request.Status s) {
                return out;
            }
        });
        return out.toBytes();
    }

    /** Every reply goes out through here: header, message, then the fields it carries. */
    public static byte[] encodeReply(Reply reply) {
        FieldWriter out = new FieldWriter(Limits.MAX_REPLY).header(reply.kind(), reply.id(), reply.status())
                .string(Tag.MESSAGE, truncate(reply.message(), Limits.MESSAGE_MAX));
        for (MountEntry entry : reply.entries()) {
            out.bytes(Tag.ENTRY, encodeEntry(entry));
        }
        if (reply.nextCursor() >= 0) {
            out.u32(Tag.NEXT_CURSOR, reply.nextCursor());
        }
        if (reply.exitStatus() >= 0) {
            out.u32(Tag.EXIT_STATUS, reply.exitStatus());
        }
        if (reply.output() != null && !reply.output().isEmpty()) {
            out.string(Tag.OUTPUT, truncate(reply.output(), Limits.OUTPUT_MAX));
        }
        return out.toBytes();
    }

    /**
     * The LIST reply holding as many of {@code all} from {@code cursor} on as fit in one
     * message, with the cursor of the next page when some are left.
     */
    public static Reply listReply(int id, List<MountEntry> all, int cursor) {
        int room = Limits.MAX_REPLY - Limits.HEADER_SIZE - 4 - CURSOR_FIELD; // header, empty MESSAGE
        List<MountEntry> page = new ArrayList<>();
        int index = Math.max(0, cursor);
        for (; index < all.size(); index++) {
            int size = 4 + encodeEntry(all.get(index)).length;
            if (size > room) {
                break;
            }
            room -= size;
            page.add(all.get(index));
        }
        return new Reply(id, Operation.LIST.code() | Operation.REPLY_BIT, 0, "", List.copyOf(page),
                index < all.size() ? index : -1, -1, "");
    }

    /** {@link #listReply} encoded. */
    public static byte[] encodeListReply(int id, List<MountEntry> all, int cursor) {
        return encodeReply(listReply(id, all, cursor));
    }

    private static byte[] encodeEntry(MountEntry entry) {
        return new FieldWriter(Limits.MAX_REPLY).string(Tag.SOURCE, entry.source()).string(Tag.TARGET, entry.target())
                .string(Tag.FSTYPE, entry.fstype()).u32(Tag.REQUESTER_PID, entry.requesterPid())
                .u64(Tag.CREATED_AT, entry.createdAtMillis()).u32(Tag.DAEMON_PID, entry.daemonPid())
                .u32(Tag.STATE, entry.state().ordinal())
                .string(Tag.STATE_REASON, entry.stateReason().isEmpty() ? null
                        : truncate(entry.stateReason(), Limits.MESSAGE_MAX)).toBytes();
    }

    public static Reply decodeReply(byte[] message) {
        ByteBuffer in = ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN);
        if (message.length < Limits.HEADER_SIZE || in.getInt() != MAGIC) {
            throw new MalformedMessageException(Errno.EBADMSG, "reply without a valid header", 0, 0);
        }
        int version = Short.toUnsignedInt(in.getShort());
        int kind = Short.toUnsignedInt(in.getShort());
        int id = in.getInt();
        int status = in.getInt();
        if (version != Limits.VERSION || (kind & Operation.REPLY_BIT) == 0) {
            throw new MalformedMessageException(Errno.EBADMSG, "not a version 1 reply", id, kind);
        }
        Fields fields = Fields.parse(in, id, kind, true);
        List<MountEntry> entries = new ArrayList<>();
        for (ByteBuffer raw : fields.entries()) {
            Fields entry = Fields.parse(raw, id, kind, false);
            entries.add(new MountEntry(entry.string(Tag.SOURCE, ""), entry.string(Tag.TARGET, ""),
                    entry.string(Tag.FSTYPE, ""), (int) entry.u32(Tag.REQUESTER_PID, 0),
                    entry.u64(Tag.CREATED_AT, 0), (int) entry.u32(Tag.DAEMON_PID, 0),
                    MountState.ofCode(entry.u32(Tag.STATE, 0)), entry.string(Tag.STATE_REASON, "")));
        }
        return new Reply(id, kind, status, fields.string(Tag.MESSAGE, ""), List.copyOf(entries),
                (int) fields.u32(Tag.NEXT_CURSOR, -1), (int) fields.u32(Tag.EXIT_STATUS, -1),
                fields.string(Tag.OUTPUT, ""));
    }

    /**
     * Cuts to the MESSAGE limit in bytes, at a character boundary. Messages quote caller
     * input (a target path), so they need not be ASCII: cutting by chars could leave more
     * than 1024 bytes and make the reply itself fail to encode.
     */
    private static String truncate(String message, int limit) {
        if (message == null) {
            return "";
        }
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= limit) {
            return message;
        }
        int end = limit;
        while ((bytes[end] & 0xC0) == 0x80) {
            end--; // bytes[end] continues a character that starts before it
        }
        return new String(bytes, 0, end, StandardCharsets.UTF_8);
    }
}
