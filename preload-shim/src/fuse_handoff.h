/* The /dev/fuse descriptor between a FUSE daemon and its fusermount: named by number in an
 * environment variable (_FUSE_COMMFD, _FUSE_DEVFD), sent back over a unix socket. */
#ifndef FUSE_HANDOFF_H
#define FUSE_HANDOFF_H

/* The descriptor named by value (decimal digits only) if it is open, else -1. */
int handoff_fd_from_env(const char *value);

/* 1 if fd is the FUSE character device (10:229), else 0. */
int handoff_is_fuse_device(int fd);

/* 1 if fd is a socket, else 0. */
int handoff_is_socket(int fd);

/* Sends fd over sock as libfuse's receive_fd() expects it: one zero byte carrying one
 * SCM_RIGHTS descriptor. Returns 0, or -1 with errno set. Never raises SIGPIPE. */
int handoff_send_fd(int sock, int fd);

#endif
