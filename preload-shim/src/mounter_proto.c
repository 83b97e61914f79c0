#include "mounter_proto.h"

#include <errno.h>
#include <string.h>

static const uint8_t MAGIC[4] = {'M', 'N', 'T', 'R'};

/* A bounded little-endian writer: once a put does not fit, it stays failed. */
struct writer {
    uint8_t *buf;
    size_t cap;
    size_t len;
    int overflow;
};

static void put_bytes(struct writer *w, const void *p, size_t n)
{
    if (w->overflow || n > w->cap - w->len) {
        w->overflow = 1;
        return;
    }
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}

static void put_le(struct writer *w, uint64_t v, size_t n)
{
    uint8_t b[8];
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    put_bytes(w, b, n);
}

static void put_field(struct writer *w, uint16_t tag, const void *p, uint16_t n)
{
    put_le(w, tag, 2);
    put_le(w, n, 2);
    put_bytes(w, p, n);
}

static void put_int_field(struct writer *w, uint16_t tag, uint64_t v, uint16_t n)
{
    put_le(w, tag, 2);
    put_le(w, n, 2);
    put_le(w, v, n);
}

/* Puts a string field; NULL is left out, and so is "" when omit_empty is set. */
static int put_string(struct writer *w, uint16_t tag, const char *s, size_t max,
                      int omit_empty)
{
    if (s == NULL || (omit_empty && s[0] == '\0'))
        return 0;
    size_t n = strnlen(s, max + 1);
    if (n > max)
        return -1;
    put_field(w, tag, s, (uint16_t)n);
    return 0;
}

static void put_header(struct writer *w, uint16_t kind, uint32_t id)
{
    put_bytes(w, MAGIC, sizeof MAGIC);
    put_le(w, MOUNTER_VERSION, 2);
    put_le(w, kind, 2);
    put_le(w, id, 4);
    put_le(w, 0, 4);
}

static const char *put_mount_fields(struct writer *w, const struct mounter_request *rq)
{
    if (rq->target == NULL || rq->fstype == NULL)
        return "MOUNT needs TARGET and FSTYPE";
    if (put_string(w, MOUNTER_TAG_SOURCE, rq->source, MOUNTER_SOURCE_MAX, 1) < 0)
        return "source longer than 4095 bytes";
    if (put_string(w, MOUNTER_TAG_TARGET, rq->target, MOUNTER_TARGET_MAX, 0) < 0)
        return "target longer than 4095 bytes";
    if (put_string(w, MOUNTER_TAG_FSTYPE, rq->fstype, MOUNTER_FSTYPE_MAX, 0) < 0)
        return "fstype longer than 255 bytes";
    put_int_field(w, MOUNTER_TAG_MOUNT_FLAGS, rq->mount_flags, 8);
    if (put_string(w, MOUNTER_TAG_DATA, rq->data, MOUNTER_DATA_MAX, 1) < 0)
        return "mount options longer than 4096 bytes";
    if (rq->fd >= 0)
        put_int_field(w, MOUNTER_TAG_FD, (uint32_t)rq->fd, 4);
    return NULL;
}

static const char *put_umount_fields(struct writer *w, const struct mounter_request *rq)
{
    if (rq->target == NULL)
        return "UMOUNT needs TARGET";
    if (put_string(w, MOUNTER_TAG_TARGET, rq->target, MOUNTER_TARGET_MAX, 0) < 0)
        return "target longer than 4095 bytes";
    put_int_field(w, MOUNTER_TAG_UMOUNT_FLAGS, rq->umount_flags, 4);
    return NULL;
}

ssize_t mounter_encode_request(const struct mounter_request *rq, uint8_t *buf, size_t cap,
                               const char **why)
{
    struct writer w = {buf, cap, 0, 0};
    const char *err;

    put_header(&w, rq->op, rq->id);
    if (rq->op == MOUNTER_OP_MOUNT)
        err = put_mount_fields(&w, rq);
    else if (rq->op == MOUNTER_OP_UMOUNT)
        err = put_umount_fields(&w, rq);
    else if (rq->op == MOUNTER_OP_STATUS)
        err = NULL; /* no fields */
    else
        err = "operation not supported by this encoder";
    if (err == NULL && (w.overflow || w.len > MOUNTER_REQUEST_MAX))
        err = "request larger than the protocol allows";
    if (err != NULL) {
        if (why != NULL)
            *why = err;
        errno = EINVAL;
        return -1;
    }
    return (ssize_t)w.len;
}

uint16_t mounter_get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

uint32_t mounter_get_u32(const uint8_t *p)
{
    return (uint32_t)mounter_get_u16(p) | (uint32_t)mounter_get_u16(p + 2) << 16;
}

uint64_t mounter_get_u64(const uint8_t *p)
{
    return (uint64_t)mounter_get_u32(p) | (uint64_t)mounter_get_u32(p + 4) << 32;
}

int mounter_fields_next(struct mounter_fields *it, uint16_t *tag, const uint8_t **value,
                        uint16_t *length)
{
    size_t left = (size_t)(it->end - it->pos);
    if (left == 0)
        return 0;
    if (left < 4 || (size_t)mounter_get_u16(it->pos + 2) > left - 4) {
        errno = EBADMSG;
        return -1;
    }
    *tag = mounter_get_u16(it->pos);
    *length = mounter_get_u16(it->pos + 2);
    *value = it->pos + 4;
    it->pos += 4 + (size_t)*length;
    return 1;
}

/* The header must answer our request; kind 0x8000 / id 0 is the server saying it
 * could not read our header, which only makes sense with an error status. */
static int check_header(const uint8_t *buf, size_t len, uint16_t op, uint32_t id)
{
    if (len < MOUNTER_HEADER_SIZE || memcmp(buf, MAGIC, sizeof MAGIC) != 0)
        return EBADMSG;
    if (mounter_get_u16(buf + 4) != MOUNTER_VERSION)
        return EPROTONOSUPPORT;
    uint16_t kind = mounter_get_u16(buf + 6);
    uint32_t got_id = mounter_get_u32(buf + 8);
    uint32_t status = mounter_get_u32(buf + 12);
    /* An errno outside the kernel's range (1..4095) cannot be handed to the caller. */
    if (status >= 4096)
        return EBADMSG;
    if (kind == (MOUNTER_REPLY_BIT | op) && got_id == id)
        return 0;
    if (kind == MOUNTER_REPLY_BIT && got_id == 0 && status != 0)
        return 0;
    return EBADMSG;
}

static int copy_message(const uint8_t *v, uint16_t n, struct mounter_reply *out)
{
    if (n > MOUNTER_MESSAGE_MAX || memchr(v, '\0', n) != NULL)
        return EBADMSG;
    memcpy(out->message, v, n);
    out->message[n] = '\0';
    return 0;
}

int mounter_decode_reply(const uint8_t *buf, size_t len, uint16_t op, uint32_t id,
                         struct mounter_reply *out)
{
    int err = check_header(buf, len, op, id);
    struct mounter_fields it = {buf + MOUNTER_HEADER_SIZE, buf + len};
    int seen_message = 0, more;
    uint16_t tag, n;
    const uint8_t *v;

    out->message[0] = '\0';
    while (err == 0 && (more = mounter_fields_next(&it, &tag, &v, &n)) != 0) {
        if (more < 0)
            err = EBADMSG;
        else if (tag == MOUNTER_TAG_MESSAGE)
            err = seen_message++ ? EBADMSG : copy_message(v, n, out);
    }
    if (err != 0) {
        out->message[0] = '\0';
        errno = err;
        return -1;
    }
    out->status = mounter_get_u32(buf + 12);
    return 0;
}
