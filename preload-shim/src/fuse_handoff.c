#include "fuse_handoff.h"
#include "mounter_client.h"

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
    char zero = 0; /* "you need to send at least one byte" to pass descriptors (unix(7)) */
    return mounter_send_with_fd(sock, &zero, 1, fd);
}
