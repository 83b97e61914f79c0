#include "mounter_client.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

/* Room for a few stray fds in a reply; any beyond are dropped (and closed) by the kernel. */
#define MAX_REPLY_FDS 8

/* secure_getenv: in a setuid program (the fusermount stand-in, mount(8)) the caller's
 * environment must not pick the socket, or root would connect to and send descriptors to a
 * server of the user's choosing; such programs use the defaults. */
const char *mounter_socket_path(void)
{
    const char *p = secure_getenv("MOUNTER_SOCKET");
    return (p != NULL && p[0] != '\0') ? p : MOUNTER_DEFAULT_SOCKET;
}

static long timeout_seconds(void)
{
    const char *s = secure_getenv("MOUNTER_TIMEOUT_SECONDS");
    char *end;
    if (s == NULL || s[0] < '0' || s[0] > '9')
        return MOUNTER_DEFAULT_TIMEOUT_SECONDS;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v <= 0 || v > INT_MAX)
        return MOUNTER_DEFAULT_TIMEOUT_SECONDS;
    return v;
}

/* SO_SNDTIMEO bounds connect() too: a full listen backlog blocks it on AF_UNIX. */
static int set_timeouts(int s, long seconds)
{
    struct timeval tv = {.tv_sec = seconds};
    if (setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0)
        return -1;
    return setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static int connect_socket(const char *path, long seconds)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t n = strlen(path);
    if (n >= sizeof sa.sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(sa.sun_path, path, n + 1);
    int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    int rc = set_timeouts(s, seconds);
    while (rc == 0 && connect(s, (struct sockaddr *)&sa, sizeof sa) < 0) {
        if (errno != EINTR) {
            rc = -1;
            if (errno == EAGAIN || errno == EINPROGRESS)
                errno = ETIMEDOUT;
        }
    }
    if (rc < 0) {
        int e = errno;
        close(s);
        errno = e;
        return -1;
    }
    return s;
}

int mounter_send_with_fd(int s, const void *buf, size_t len, int fd)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    if (fd >= 0) {
        memset(&ctl, 0, sizeof ctl);
        msg.msg_control = ctl.buf;
        msg.msg_controllen = sizeof ctl.buf;
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    ssize_t n;
    do /* MSG_NOSIGNAL: a vanished mounterd must not kill the mount helper with SIGPIPE. */
        n = sendmsg(s, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        errno = ETIMEDOUT;
    if (n >= 0 && (size_t)n != len)
        errno = EMSGSIZE;
    return (n >= 0 && (size_t)n == len) ? 0 : -1;
}

/* mounterd never sends fds; any that arrive are closed so they cannot leak. */
static void close_received_fds(struct msghdr *msg)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            close(fd);
        }
    }
}

/* Returns the reply length. MSG_TRUNC makes recvmsg report the full length, so a reply
 * longer than cap is detected instead of being silently cut. */
static ssize_t receive_reply(int s, uint8_t *buf, size_t cap)
{
    union {
        char buf[CMSG_SPACE(sizeof(int) * MAX_REPLY_FDS)];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {.iov_base = buf, .iov_len = cap};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    ssize_t n;
    do {
        msg.msg_control = ctl.buf;
        msg.msg_controllen = sizeof ctl.buf;
        n = recvmsg(s, &msg, MSG_CMSG_CLOEXEC | MSG_TRUNC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            errno = ETIMEDOUT;
        return -1;
    }
    close_received_fds(&msg);
    if (n == 0)
        errno = ECONNRESET; /* closed without a reply (or an empty, invalid one) */
    else if ((size_t)n > cap || (msg.msg_flags & MSG_TRUNC))
        errno = EMSGSIZE;
    else
        return n;
    return -1;
}

static void local_refusal(struct mounter_reply *out, const char *why)
{
    out->status = EINVAL;
    strncpy(out->message, why, MOUNTER_MESSAGE_MAX);
    out->message[MOUNTER_MESSAGE_MAX] = '\0';
}

/* buf holds MOUNTER_REQUEST_MAX bytes for the request, then MOUNTER_REPLY_MAX for the reply. */
static int exchange(const struct mounter_request *rq, uint8_t *buf, struct mounter_reply *out,
                    long seconds)
{
    const char *why = "invalid request";
    ssize_t len = mounter_encode_request(rq, buf, MOUNTER_REQUEST_MAX, &why);
    if (len < 0) {
        local_refusal(out, why);
        return 0;
    }
    int s = connect_socket(mounter_socket_path(), seconds);
    if (s < 0)
        return -1;
    uint8_t *reply = buf + MOUNTER_REQUEST_MAX;
    ssize_t n = -1;
    /* One request per connection: saying so with SHUT_WR lets mounterd see the end of the
     * stream right after its reply instead of sleeping until close(), a wake-up saved. */
    if (mounter_send_with_fd(s, buf, (size_t)len, rq->fd) == 0 && shutdown(s, SHUT_WR) == 0)
        n = receive_reply(s, reply, MOUNTER_REPLY_MAX);
    int e = errno;
    close(s);
    errno = e;
    if (n < 0)
        return -1;
    return mounter_decode_reply(reply, (size_t)n, rq->op, rq->id, out);
}

/* The buffers are on the heap: helpers such as glusterfs run on small thread stacks. */
int mounter_client_call(const struct mounter_request *rq, struct mounter_reply *out)
{
    return mounter_client_call_within(rq, out, timeout_seconds());
}

int mounter_client_call_within(const struct mounter_request *rq, struct mounter_reply *out,
                               long seconds)
{
    uint8_t *buf = malloc(MOUNTER_REQUEST_MAX + MOUNTER_REPLY_MAX);
    if (buf == NULL)
        return -1;
    int rc = exchange(rq, buf, out, seconds);
    int e = errno;
    free(buf);
    errno = e;
    return rc;
}
