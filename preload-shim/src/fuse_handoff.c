#include "fuse_handoff.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#define FUSE_MAJOR 10
#define FUSE_MINOR 229

int handoff_fd_from_env(const char *value)
{
    char *end;
    if (value == NULL || value[0] < '0' || value[0] > '9')
        return -1;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno != 0 || *end != '\0' || v > INT_MAX || fcntl((int)v, F_GETFD) < 0)
        return -1;
    return (int)v;
}

int handoff_is_fuse_device(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) &&
           st.st_rdev == makedev(FUSE_MAJOR, FUSE_MINOR);
}

int handoff_is_socket(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

int handoff_send_fd(int sock, int fd)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    char zero = 0; /* "you need to send at least one byte" to pass descriptors (unix(7)) */
    struct iovec iov = {.iov_base = &zero, .iov_len = 1};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                         .msg_controllen = sizeof ctl.buf};
    memset(&ctl, 0, sizeof ctl);
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    ssize_t n;
    do
        n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n == 0)
        errno = EIO;
    return n == 1 ? 0 : -1;
}
