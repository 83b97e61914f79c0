/* Byte-exact checks of request encoding and reply decoding (docs/protocol.md). */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "mounter_proto.h"

static uint8_t buf[MOUNTER_REPLY_MAX + 16];

/* The protocol example: sshfs mounting with fd 3. */
static void test_encode_mount(void)
{
    static const uint8_t expect[] = {
        'M', 'N', 'T', 'R', 1, 0, 1, 0, 0x04, 0x03, 0x02, 0x01, 0, 0, 0, 0,
        1, 0, 6, 0, 'u', '@', 'h', ':', '/', 'd',
        2, 0, 2, 0, '/', 't',
        3, 0, 10, 0, 'f', 'u', 's', 'e', '.', 's', 's', 'h', 'f', 's',
        4, 0, 8, 0, 6, 0, 0, 0, 0, 0, 0, 0,
        5, 0, 19, 0, 'f', 'd', '=', '3', ',', 'r', 'o', 'o', 't', 'm', 'o', 'd', 'e', '=',
        '4', '0', '0', '0', '0',
        6, 0, 4, 0, 3, 0, 0, 0,
    };
    struct mounter_request rq = {
        .op = MOUNTER_OP_MOUNT, .id = 0x01020304, .source = "u@h:/d", .target = "/t",
        .fstype = "fuse.sshfs", .mount_flags = 6, .data = "fd=3,rootmode=40000", .fd = 3,
    };
    ssize_t n = mounter_encode_request(&rq, buf, MOUNTER_REQUEST_MAX, NULL);
    CHECK(n == (ssize_t)sizeof expect, "length %zd, want %zu", n, sizeof expect);
    for (size_t i = 0; n == (ssize_t)sizeof expect && i < sizeof expect; i++)
        CHECK(buf[i] == expect[i], "byte %zu is 0x%02x, want 0x%02x", i, buf[i], expect[i]);
}

static void test_encode_omits_and_limits(void)
{
    char big[MOUNTER_DATA_MAX + 2];
    const char *why = NULL;
    struct mounter_request rq = {
        .op = MOUNTER_OP_MOUNT, .id = 1, .source = NULL, .target = "/t", .fstype = "fuse",
        .mount_flags = 1ULL << 40, .data = "", .fd = -1,
    };
    ssize_t n = mounter_encode_request(&rq, buf, MOUNTER_REQUEST_MAX, NULL);
    /* header + TARGET(6) + FSTYPE(8) + MOUNT_FLAGS(12): no SOURCE, DATA or FD */
    CHECK(n == 16 + 6 + 8 + 12, "length %zd", n);
    CHECK(n > 37 && buf[16 + 6 + 8 + 4 + 5] == 1, "64-bit flags little-endian");

    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    rq.data = big;
    errno = 0;
    n = mounter_encode_request(&rq, buf, MOUNTER_REQUEST_MAX, &why);
    CHECK(n == -1 && errno == EINVAL, "4097-byte data refused: n=%zd errno=%d", n, errno);
    CHECK(why != NULL && strstr(why, "4096") != NULL, "reason names the limit: %s", why);
    big[MOUNTER_DATA_MAX] = '\0';
    n = mounter_encode_request(&rq, buf, MOUNTER_REQUEST_MAX, NULL);
    CHECK(n == 16 + 6 + 8 + 12 + 4 + MOUNTER_DATA_MAX, "4096-byte data accepted: %zd", n);
    CHECK(mounter_encode_request(&rq, buf, 100, NULL) == -1, "small buffer refused");

    rq.fstype = NULL;
    CHECK(mounter_encode_request(&rq, buf, MOUNTER_REQUEST_MAX, NULL) == -1, "no fstype");
}

static void test_encode_umount(void)
{
    static const uint8_t expect[] = {
        'M', 'N', 'T', 'R', 1, 0, 2, 0, 9, 0, 0, 0, 0, 0, 0, 0,
        2, 0, 3, 0, '/', 'm', 'p',
        7, 0, 4, 0, 2, 0, 0, 0,
    };
    struct mounter_request rq = {.op = MOUNTER_OP_UMOUNT, .id = 9, .target = "/mp",
                                 .umount_flags = 2, .fd = -1};
    ssize_t n = mounter_encode_request(&rq, buf, MOUNTER_REQUEST_MAX, NULL);
    CHECK(n == (ssize_t)sizeof expect && memcmp(buf, expect, sizeof expect) == 0,
          "umount bytes (length %zd)", n);
}

/* STATUS is a bare header; an operation the encoder does not know is refused, not sent. */
static void test_encode_status_and_unknown(void)
{
    static const uint8_t expect[] = {'M', 'N', 'T', 'R', 1, 0, 5, 0, 4, 0, 0, 0, 0, 0, 0, 0};
    struct mounter_request rq = {.op = MOUNTER_OP_STATUS, .id = 4, .target = "/ignored", .fd = -1};
    ssize_t n = mounter_encode_request(&rq, buf, MOUNTER_REQUEST_MAX, NULL);
    CHECK(n == (ssize_t)sizeof expect && memcmp(buf, expect, sizeof expect) == 0,
          "status bytes (length %zd)", n);

    const char *why = NULL;
    struct mounter_request list = {.op = MOUNTER_OP_LIST, .id = 1, .fd = -1};
    errno = 0;
    n = mounter_encode_request(&list, buf, MOUNTER_REQUEST_MAX, &why);
    CHECK(n == -1 && errno == EINVAL && why != NULL && strstr(why, "not supported") != NULL,
          "LIST: %zd, errno %d, why %s", n, errno, why ? why : "(null)");
}

/* Builds a reply header + optional MESSAGE; returns its length. */
static size_t reply(uint16_t kind, uint32_t id, uint32_t status, const char *msg)
{
    static const uint8_t head[] = {'M', 'N', 'T', 'R', 1, 0};
    size_t n = sizeof head;
    memcpy(buf, head, n);
    buf[n++] = (uint8_t)kind, buf[n++] = (uint8_t)(kind >> 8);
    for (int i = 0; i < 4; i++)
        buf[n++] = (uint8_t)(id >> (8 * i));
    for (int i = 0; i < 4; i++)
        buf[n++] = (uint8_t)(status >> (8 * i));
    if (msg != NULL) {
        size_t m = strlen(msg);
        buf[n++] = MOUNTER_TAG_MESSAGE, buf[n++] = 0;
        buf[n++] = (uint8_t)m, buf[n++] = (uint8_t)(m >> 8);
        memcpy(buf + n, msg, m);
        n += m;
    }
    return n;
}

static int decode(size_t len, struct mounter_reply *out)
{
    errno = 0;
    return mounter_decode_reply(buf, len, MOUNTER_OP_MOUNT, 7, out);
}

static void test_decode_good(void)
{
    struct mounter_reply r;
    size_t n = reply(0x8001, 7, 0, "");
    CHECK(decode(n, &r) == 0 && r.status == 0 && r.message[0] == '\0', "empty success");
    n = reply(0x8001, 7, EPERM, "fstype not allowed");
    CHECK(decode(n, &r) == 0 && r.status == EPERM && strcmp(r.message, "fstype not allowed") == 0,
          "refusal with message");
    n = reply(0x8001, 7, 0, NULL);
    CHECK(decode(n, &r) == 0 && r.message[0] == '\0', "missing MESSAGE tolerated");
    n = reply(0x8001, 7, 0, "ok");
    buf[n++] = 99, buf[n++] = 0, buf[n++] = 1, buf[n++] = 0, buf[n++] = 'z';
    CHECK(decode(n, &r) == 0, "unknown reply tag skipped");
    n = reply(0x8000, 0, EBADMSG, "bad header");
    CHECK(decode(n, &r) == 0 && r.status == EBADMSG, "header-unreadable reply");
}

static void test_decode_bad(void)
{
    struct mounter_reply r;
    size_t n = reply(0x8001, 7, 0, "hello");
    for (size_t cut = 0; cut < n; cut++) /* 16: a bare header, checked above */
        CHECK(cut == 16 || (decode(cut, &r) == -1 && errno == EBADMSG), "truncated at %zu rejected", cut);
    CHECK(decode(n, &r) == 0, "the uncut reply is good");

    buf[0] = 'X';
    CHECK(decode(n, &r) == -1 && errno == EBADMSG, "bad magic");
    n = reply(0x8001, 7, 0, "hi");
    buf[4] = 2;
    CHECK(decode(n, &r) == -1 && errno == EPROTONOSUPPORT, "version 2");
    n = reply(0x8002, 7, 0, "");
    CHECK(decode(n, &r) == -1 && errno == EBADMSG, "kind of another op");
    n = reply(0x0001, 7, 0, "");
    CHECK(decode(n, &r) == -1, "kind without reply bit");
    n = reply(0x8001, 8, 0, "");
    CHECK(decode(n, &r) == -1, "wrong id");
    n = reply(0x8000, 0, 0, "");
    CHECK(decode(n, &r) == -1, "header-unreadable reply with status 0");
    n = reply(0x8001, 7, 70000, "");
    CHECK(decode(n, &r) == -1, "status not an errno");
    n = reply(0x8001, 7, 0, "a\0b");
    buf[n - 1] = '\0';
    CHECK(decode(n, &r) == -1 && errno == EBADMSG, "NUL in MESSAGE");
    n = reply(0x8001, 7, 0, "one");
    size_t m = reply(0x8001, 7, 0, "one") - 16;
    memcpy(buf + n, buf + 16, m);
    CHECK(decode(n + m, &r) == -1, "duplicate MESSAGE");
    char longmsg[MOUNTER_MESSAGE_MAX + 2];
    memset(longmsg, 'm', sizeof longmsg - 1);
    longmsg[sizeof longmsg - 1] = '\0';
    n = reply(0x8001, 7, 0, longmsg);
    CHECK(decode(n, &r) == -1, "MESSAGE over 1024 bytes");
    n = reply(0x8001, 7, 0, "");
    buf[n++] = 9; /* a lone byte of a next field */
    CHECK(decode(n, &r) == -1, "trailing partial field");
}

int main(void)
{
    test_encode_mount();
    test_encode_omits_and_limits();
    test_encode_umount();
    test_encode_status_and_unknown();
    test_decode_good();
    test_decode_bad();
    return check_summary("test_proto");
}
