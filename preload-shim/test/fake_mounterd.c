#include "fake_mounterd.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mounter_proto.h"

static const char *log_file;

static const char *device_name(const int *fds, int nfds)
{
    struct stat st;
    if (nfds != 1)
        return "-";
    if (fstat(fds[0], &st) != 0 || !S_ISCHR(st.st_mode))
        return "other";
    if (st.st_rdev == makedev(1, 3))
        return "null";
    return st.st_rdev == makedev(10, 229) ? "fuse" : "other";
}

static void describe(const uint8_t *buf, size_t len, const int *fds, int nfds, char *text,
                     size_t cap)
{
    struct mounter_fields it = {buf + MOUNTER_HEADER_SIZE, buf + len};
    const uint8_t *v;
    uint16_t tag, n;
    size_t off = (size_t)snprintf(text, cap, "op=%u nfds=%d dev=%s", mounter_get_u16(buf + 6),
                                  nfds, device_name(fds, nfds));
    while (mounter_fields_next(&it, &tag, &v, &n) == 1 && off < cap - 64) {
        if (tag == MOUNTER_TAG_MOUNT_FLAGS && n == 8)
            off += (size_t)sprintf(text + off, " t4=%llu",
                                   (unsigned long long)mounter_get_u64(v));
        else if ((tag == MOUNTER_TAG_FD || tag == MOUNTER_TAG_UMOUNT_FLAGS) && n == 4)
            off += (size_t)sprintf(text + off, " t%u=%u", tag, mounter_get_u32(v));
        else
            off += (size_t)snprintf(text + off, cap - off, " t%u=%.*s", tag, (int)n,
                                    (const char *)v);
    }
}

static void send_reply(int conn, const uint8_t *req, uint32_t status, const char *msg,
                       int attach_fd)
{
    uint8_t out[MOUNTER_HEADER_SIZE + 4 + MOUNTER_MESSAGE_MAX];
    size_t m = strlen(msg);
    memcpy(out, req, 12); /* magic, version, kind, id */
    out[7] |= 0x80;
    for (int i = 0; i < 4; i++)
        out[12 + i] = (uint8_t)(status >> (8 * i));
    out[16] = MOUNTER_TAG_MESSAGE, out[17] = 0, out[18] = (uint8_t)m, out[19] = 0;
    memcpy(out + 20, msg, m);
    union { char b[CMSG_SPACE(sizeof(int))]; struct cmsghdr a; } ctl = {0};
    struct iovec iov = {out, 20 + m};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    if (attach_fd >= 0) {
        mh.msg_control = ctl.b, mh.msg_controllen = sizeof ctl.b;
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET, c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &attach_fd, sizeof(int));
    }
    sendmsg(conn, &mh, MSG_NOSIGNAL);
}

static void answer(int conn, const uint8_t *buf, const char *text)
{
    if (strstr(text, "garbage")) {
        send(conn, "garbage!", 8, MSG_NOSIGNAL);
    } else if (strstr(text, "refuse")) {
        send_reply(conn, buf, EPERM, "target not allowed by policy", -1);
    } else if (strstr(text, "withfd")) {
        int stray = open("/dev/null", O_RDONLY | O_CLOEXEC);
        send_reply(conn, buf, 0, "", stray);
        close(stray);
    } else {
        send_reply(conn, buf, 0, "", -1);
    }
}

/* Handles one connection; returns 1 to keep it open (the "hang" case). */
static int serve_one(int conn)
{
    static uint8_t buf[MOUNTER_REQUEST_MAX];
    static char text[6000];
    union { char b[CMSG_SPACE(sizeof(int) * 4)]; struct cmsghdr a; } ctl;
    struct iovec iov = {buf, sizeof buf};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
                        .msg_controllen = sizeof ctl.b};
    int fds[4], nfds = 0;
    ssize_t len = recvmsg(conn, &mh, MSG_CMSG_CLOEXEC);
    if (len < MOUNTER_HEADER_SIZE)
        return 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
        for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int) && nfds < 4; i++)
            memcpy(&fds[nfds++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
    describe(buf, (size_t)len, fds, nfds, text, sizeof text);
    int log = open(log_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    dprintf(log, "%s\n", text);
    close(log);
    for (int i = 0; i < nfds; i++)
        close(fds[i]);
    if (strstr(text, "hang"))
        return 1;
    answer(conn, buf, text);
    return 0;
}

pid_t fake_mounterd_start(const char *sock_path, const char *log_path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strcpy(sa.sun_path, sock_path);
    int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(s, 16) < 0 ||
        chmod(sock_path, 0666) < 0) {
        perror("fake mounterd");
        exit(1);
    }
    log_file = log_path;
    pid_t pid = fork();
    if (pid == 0) {
        for (;;) {
            int conn = accept4(s, NULL, NULL, SOCK_CLOEXEC);
            if (conn >= 0 && !serve_one(conn))
                close(conn);
        }
    }
    close(s);
    return pid;
}

void fake_mounterd_stop(pid_t server)
{
    kill(server, SIGTERM);
    waitpid(server, NULL, 0);
}
