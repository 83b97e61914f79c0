/* mounter-fusermount: stands in for fusermount3 and glusterfs's fusermount-glusterfs in
 * the mount container. A FUSE daemon that may not mount itself (not root, or its mount(2)
 * refused with EPERM) runs fusermount; this one has mounterd mount in the host namespace
 * instead of mounting here. Installed setuid root like fusermount3: mounterd accepts only
 * root peers, and SO_PEERCRED reports the effective uid. The user-facing rules are
 * fusermount's; the behaviour depends on the environment, never on the program's name.
 *
 *   [-o OPTS] [--] MOUNTPOINT  with _FUSE_COMMFD=N (libfuse, rclone): opens /dev/fuse, has
 *                              it mounted, sends it back over socket N with one zero byte
 *   [-o OPTS] [--] MOUNTPOINT  with _FUSE_DEVFD=N (glusterfs): mounts the caller's open
 *                              /dev/fuse descriptor N and sends nothing back
 *   -u [-q] [-z] MOUNTPOINT    unmounts (root only, see run_unmount)
 *   --auto-unmount MOUNTPOINT  accepted and ignored (see mount_fd)
 * Exit status 0 on success, 1 with one line on stderr otherwise. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuse_handoff.h"
#include "fuse_options.h"
#include "mounter_client.h"

#define FUSE_CONF "/etc/fuse.conf"
#define PROCEED (-1)

struct invocation {
    const char *progname;
    const char *opts;
    const char *mountpoint;
    int unmount, lazy, quiet, auto_unmount;
};

/* Prints "PROGNAME: message" unless -q; returns -1. */
__attribute__((format(printf, 2, 3)))
static int say(const struct invocation *inv, const char *format, ...)
{
    va_list ap;
    if (inv->quiet)
        return -1;
    va_start(ap, format);
    fprintf(stderr, "%s: ", inv->progname);
    vfprintf(stderr, format, ap);
    fputc('\n', stderr);
    va_end(ap);
    return -1;
}

static void usage(FILE *f, const char *progname)
{
    fprintf(f, "%s: [options] mountpoint\n"
               "Options:\n"
               " -h                 print help\n"
               " -V                 print version\n"
               " -o opt[,opt...]    mount options\n"
               " -u                 unmount\n"
               " -q                 quiet\n"
               " -z                 lazy unmount\n",
            progname);
}

/* Returns PROCEED, or the exit status when there is nothing more to do. */
static int parse_args(int argc, char **argv, struct invocation *inv)
{
    static const struct option longs[] = {
        {"unmount", no_argument, NULL, 'u'},   {"lazy", no_argument, NULL, 'z'},
        {"quiet", no_argument, NULL, 'q'},     {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},   {"options", required_argument, NULL, 'o'},
        {"auto-unmount", no_argument, NULL, 'A'}, {NULL, 0, NULL, 0}};
    int ch;
    while ((ch = getopt_long(argc, argv, "hVo:uzq", longs, NULL)) != -1) {
        switch (ch) {
        case 'h': usage(stdout, inv->progname); return 1; /* fusermount3's status */
        case 'V': printf("%s version: mounter stand-in (mounts through mounterd)\n",
                         inv->progname);
                  return 0;
        case 'o': inv->opts = optarg; break;
        case 'u': inv->unmount = 1; break;
        case 'z': inv->lazy = 1; break;
        case 'q': inv->quiet = 1; break;
        case 'A': inv->auto_unmount = 1; break;
        default: usage(stderr, inv->progname); return 1;
        }
    }
    const char *wrong = inv->lazy && !inv->unmount ? "-z can only be used with -u"
                        : optind >= argc           ? "missing mountpoint argument"
                        : argc > optind + 1        ? "extra arguments after the mountpoint"
                                                   : NULL;
    if (wrong != NULL) {
        say(inv, "%s", wrong);
        return 1;
    }
    inv->mountpoint = argv[optind];
    return PROCEED;
}

/* Path lookups run with the caller's rights (fsuid), not root's: otherwise a user could
 * learn about, or open, paths they may not reach. Returns the previous ids. */
static uid_t become_caller(gid_t *old_gid)
{
    *old_gid = (gid_t)setfsgid(getgid());
    return (uid_t)setfsuid(getuid());
}

static void become_self(uid_t uid, gid_t gid)
{
    setfsuid(uid);
    setfsgid(gid);
}

/* fusermount's resolve_path: the parent through realpath(3), the last component as given
 * (never followed), so the target is absolute as mounterd needs it. */
static int resolve(const char *orig, char *out, size_t cap)
{
    char copy[PATH_MAX], parent[PATH_MAX];
    size_t n = strlen(orig);
    if (n == 0 || n >= sizeof copy)
        return errno = n ? ENAMETOOLONG : ENOENT, -1;
    memcpy(copy, orig, n + 1);
    while (n > 1 && copy[n - 1] == '/')
        copy[--n] = '\0';
    char *slash = strrchr(copy, '/');
    const char *dir = ".", *last = copy;
    if (slash != NULL) {
        last = slash + 1;
        dir = slash == copy ? "/" : copy;
    }
    if (*last == '\0' || strcmp(last, ".") == 0 || strcmp(last, "..") == 0)
        dir = copy, last = ""; /* "/", or ending in . or ..: resolve it whole */
    else if (slash != NULL && slash != copy)
        *slash = '\0';
    if (realpath(dir, parent) == NULL)
        return -1;
    const char *sep = (*last == '\0' || strcmp(parent, "/") == 0) ? "" : "/";
    int w = snprintf(out, cap, "%s%s%s", parent, sep, last);
    if (w < 0 || (size_t)w >= cap)
        return errno = ENAMETOOLONG, -1;
    return 0;
}

static int resolve_as_caller(const struct invocation *inv, char *out, size_t cap)
{
    gid_t gid;
    uid_t uid = become_caller(&gid);
    int rc = resolve(inv->mountpoint, out, cap);
    int e = errno;
    become_self(uid, gid);
    if (rc < 0)
        return say(inv, "bad mount point %s: %s", inv->mountpoint, strerror(e));
    return 0;
}

/* The mountpoint as the caller sees it (lstat: a symlink is never followed, so it cannot
 * redirect the mount elsewhere; mounterd refuses symlinks in the target path as well).
 * A user must be able to write the directory (or file) and, in a sticky directory such
 * as /tmp, own it: otherwise they could cover another user's or another pod's files with
 * a filesystem they serve. A user who can write the parent could rename entries anyway,
 * so the window between this check and mounterd's own lookup gives them nothing new. */
static int check_mountpoint(const struct invocation *inv, const char *mnt, struct stat *st)
{
    gid_t gid;
    uid_t uid = become_caller(&gid);
    int rc = lstat(mnt, st), e = errno;
    become_self(uid, gid);
    if (rc < 0)
        return say(inv, "failed to access mountpoint %s: %s", mnt, strerror(e));
    if (!S_ISDIR(st->st_mode) && !S_ISREG(st->st_mode))
        return say(inv, "mountpoint %s is not a directory or a regular file", mnt);
    if (getuid() == 0)
        return 0;
    if (S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX) && st->st_uid != getuid())
        return say(inv, "mountpoint %s not owned by user", mnt);
    if (faccessat(AT_FDCWD, mnt, W_OK, AT_SYMLINK_NOFOLLOW) < 0) /* real uid: access(2) */
        return say(inv, "user has no write access to mountpoint %s", mnt);
    return 0;
}

/* 1 if /etc/fuse.conf has a line "user_allow_other" (blanks and # comments aside). */
static int user_allow_other(void)
{
    FILE *f = fopen(FUSE_CONF, "re");
    char line[256];
    int found = 0;
    while (f != NULL && !found && fgets(line, sizeof line, f) != NULL) {
        char word[sizeof line], extra;
        line[strcspn(line, "#\n")] = '\0';
        found = sscanf(line, " %255s %c", word, &extra) == 1 &&
                strcmp(word, "user_allow_other") == 0;
    }
    if (f != NULL)
        fclose(f);
    return found;
}

/* Opened as the caller, as fusermount does: /dev/fuse's mode decides who may use FUSE. */
static int open_fuse_device(const struct invocation *inv)
{
    gid_t gid;
    uid_t uid = become_caller(&gid);
    int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC), e = errno;
    become_self(uid, gid);
    if (fd < 0)
        say(inv, "failed to open /dev/fuse: %s", strerror(e));
    return fd;
}

/* Sends rq. Returns 0 on success, else prints "WHAT: reason" and returns -1. */
static int ask_mounterd(const struct invocation *inv, const struct mounter_request *rq,
                        const char *what)
{
    struct mounter_reply reply;
    char buf[128];
    if (mounter_client_call(rq, &reply) < 0) {
        const char *why = strerror_r(errno, buf, sizeof buf);
        return say(inv, "%s: cannot reach mounterd at %s: %s", what, mounter_socket_path(), why);
    }
    if (reply.status == 0)
        return 0;
    if (reply.message[0] == '\0')
        return say(inv, "%s: %s", what, strerror_r((int)reply.status, buf, sizeof buf));
    return say(inv, "%s: %s", what, reply.message);
}

static int mount_fd(const struct invocation *inv, const char *mnt, int fd)
{
    struct stat st;
    struct fuse_mount_args m;
    char why[256];
    if (check_mountpoint(inv, mnt, &st) < 0)
        return -1;
    struct fuse_caller caller = {getuid(), getgid(), st.st_mode & S_IFMT, fd,
                                 user_allow_other()};
    if (fuse_options_translate(inv->opts, &caller, &m, why, sizeof why) < 0)
        return say(inv, "%s", why);
    /* auto_unmount (and --auto-unmount): fusermount3 would stay behind until the daemon's
     * socket closes and then unmount. Not done: the mount lives in the host namespace,
     * where kubelet unmounts it when the volume goes; a daemon that dies first leaves it
     * "Transport endpoint is not connected" until then. */
    struct mounter_request rq = {
        .op = MOUNTER_OP_MOUNT, .id = (uint32_t)getpid(), .source = m.source, .target = mnt,
        .fstype = m.fstype, .mount_flags = m.flags, .data = m.data, .fd = fd,
    };
    return ask_mounterd(inv, &rq, "mount failed");
}

static int run_mount(const struct invocation *inv, const char *mnt)
{
    const char *devfd = getenv("_FUSE_DEVFD"), *commfd = getenv("_FUSE_COMMFD");
    int sock = -1, fd;
    if (devfd != NULL) { /* glusterfs: the caller's own descriptor; nothing goes back */
        fd = handoff_fd_from_env(devfd);
        if (fd < 0 || !handoff_is_fuse_device(fd))
            return say(inv, "specified fuse fd is invalid");
    } else if (commfd != NULL) {
        sock = handoff_fd_from_env(commfd);
        if (sock < 0 || !handoff_is_socket(sock)) /* checked now: see the cleanup below */
            return say(inv, "_FUSE_COMMFD names no socket");
        if ((fd = open_fuse_device(inv)) < 0)
            return -1;
    } else {
        return say(inv, "old style mounting not supported");
    }
    if (mount_fd(inv, mnt, fd) < 0)
        return -1;
    if (sock < 0 || handoff_send_fd(sock, fd) == 0)
        return 0;
    say(inv, "sending file descriptor: %s", strerror(errno));
    /* The caller never got the descriptor, so nobody would ever serve the mount. */
    struct mounter_request rq = {.op = MOUNTER_OP_UMOUNT, .id = (uint32_t)getpid(),
                                 .target = mnt, .umount_flags = MNT_DETACH, .fd = -1};
    ask_mounterd(inv, &rq, "cleanup unmount failed");
    return -1;
}

/* Root only. For a user, mounterd could not tell whether the FUSE mount is theirs (the
 * peer it sees is root, through the setuid bit, and the mount is in the host namespace,
 * out of sight here), so allowing it would let any user unmount any volume below
 * kubelet's directories, other pods' included. */
static int run_unmount(const struct invocation *inv, const char *mnt)
{
    char what[PATH_MAX + 32];
    if (getuid() != 0)
        return say(inv, "unmounting %s as a user is not supported; the node unmounts it", mnt);
    struct mounter_request rq = {.op = MOUNTER_OP_UMOUNT, .id = (uint32_t)getpid(),
                                 .target = mnt, .umount_flags = inv->lazy ? MNT_DETACH : 0,
                                 .fd = -1};
    snprintf(what, sizeof what, "failed to unmount %s", mnt);
    return ask_mounterd(inv, &rq, what);
}

/* libfuse runs us with stdout and stderr closed (its quiet first try): an fd opened now
 * would take number 1 or 2, and error text would be written into it, e.g. into mounterd's
 * socket. Pointing 0-2 at /dev/null first keeps every new descriptor above them. */
static int hold_standard_fds(void)
{
    int fd;
    do
        fd = open("/dev/null", O_RDWR);
    while (fd >= 0 && fd <= 2);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

int main(int argc, char **argv)
{
    /* An empty argv would make getopt read the environment as arguments (pkexec's
     * CVE-2021-4034); kernels since 5.18 pass "" instead, older ones do not. */
    if (argc < 1 || argv[0] == NULL)
        return 1;
    const char *slash = strrchr(argv[0], '/');
    struct invocation inv = {.progname = slash ? slash + 1 : argv[0], .opts = ""};
    char mnt[PATH_MAX];
    if (hold_standard_fds() < 0)
        return 1;
    int status = parse_args(argc, argv, &inv);
    if (status != PROCEED)
        return status;
    if (inv.auto_unmount)
        return 0; /* see mount_fd */
    if (resolve_as_caller(&inv, mnt, sizeof mnt) < 0)
        return 1;
    int rc = inv.unmount ? run_unmount(&inv, mnt) : run_mount(&inv, mnt);
    return rc == 0 ? 0 : 1;
}
