/* Encoding of mounterd requests and decoding of its replies (docs/protocol.md, v1).
 * Pure functions over caller-provided buffers: no I/O, no allocation, no globals. */
#ifndef MOUNTER_PROTO_H
#define MOUNTER_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MOUNTER_VERSION 1
#define MOUNTER_HEADER_SIZE 16
#define MOUNTER_REQUEST_MAX 16384
#define MOUNTER_REPLY_MAX 65536
#define MOUNTER_REPLY_BIT 0x8000u

enum mounter_op { MOUNTER_OP_MOUNT = 1, MOUNTER_OP_UMOUNT = 2, MOUNTER_OP_LIST = 3, MOUNTER_OP_STATUS = 5 };

enum mounter_tag {
    MOUNTER_TAG_SOURCE = 1,
    MOUNTER_TAG_TARGET = 2,
    MOUNTER_TAG_FSTYPE = 3,
    MOUNTER_TAG_MOUNT_FLAGS = 4,
    MOUNTER_TAG_DATA = 5,
    MOUNTER_TAG_FD = 6,
    MOUNTER_TAG_UMOUNT_FLAGS = 7,
    MOUNTER_TAG_CURSOR = 8,
    MOUNTER_TAG_MESSAGE = 9,
    MOUNTER_TAG_ENTRY = 10,
    MOUNTER_TAG_REQUESTER_PID = 11,
    MOUNTER_TAG_CREATED_AT = 13,
    MOUNTER_TAG_NEXT_CURSOR = 14,
};

#define MOUNTER_SOURCE_MAX 4095
#define MOUNTER_TARGET_MAX 4095
#define MOUNTER_FSTYPE_MAX 255
#define MOUNTER_DATA_MAX 4096
#define MOUNTER_MESSAGE_MAX 1024

/* One MOUNT, UMOUNT or STATUS request (STATUS: op and id only). NULL or empty source/data are left out of the message;
 * fd < 0 means no FD field (and no fd attached by the transport). */
struct mounter_request {
    uint16_t op;
    uint32_t id;
    const char *source;
    const char *target;
    const char *fstype;
    uint64_t mount_flags;
    const char *data;
    int fd;
    uint32_t umount_flags;
};

struct mounter_reply {
    uint32_t status;                        /* an errno, 0 = success */
    char message[MOUNTER_MESSAGE_MAX + 1];  /* NUL-terminated, "" if absent */
};

/* Encodes rq into buf (cap bytes). Returns the message length, or -1 with errno EINVAL
 * when a required field is missing, a field exceeds its protocol limit or the message
 * exceeds cap; *why (if why != NULL) then names the problem. */
ssize_t mounter_encode_request(const struct mounter_request *rq, uint8_t *buf, size_t cap,
                               const char **why);

/* Decodes the reply to request (op, id). Returns 0 and fills *out, or -1 with errno
 * EBADMSG (bad magic, wrong kind or id, truncated or oversized field, duplicate MESSAGE,
 * NUL in MESSAGE, status not an errno) or EPROTONOSUPPORT (version other than 1).
 * Unknown tags are skipped. A reply with kind 0x8000, id 0 (the server could not read
 * the header) is accepted when its status is non-zero. */
int mounter_decode_reply(const uint8_t *buf, size_t len, uint16_t op, uint32_t id,
                         struct mounter_reply *out);

/* Walks the fields after the header. */
struct mounter_fields {
    const uint8_t *pos;
    const uint8_t *end;
};

/* Returns 1 and the next field, 0 at the end, -1 (errno EBADMSG) if a field is cut short. */
int mounter_fields_next(struct mounter_fields *it, uint16_t *tag, const uint8_t **value,
                        uint16_t *length);

uint16_t mounter_get_u16(const uint8_t *p);
uint32_t mounter_get_u32(const uint8_t *p);
uint64_t mounter_get_u64(const uint8_t *p);

#endif
