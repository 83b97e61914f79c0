/* libmounter-preload.so: interposes glibc mount(), umount() and umount2() in the mount
 * container and forwards the configured ones (see shim_config.h) to mounterd, which
 * mounts in the host's mount namespace. Everything else goes straight to glibc.
 *
 * Fail closed: when mounterd cannot be reached the call fails with EHOSTDOWN; it never
 * falls back to the real call, which would mount inside the container where kubelet
 * cannot see it. Hooks set errno and return -1; they never exit, abort or use stdout.
 *
 * fsopen() is hooked only to refuse forwarded types with ENOSYS: libmount (util-linux
 * 2.39+) then falls back to mount(2), which is forwarded; a FUSE mount made through the
 * new mount API would otherwise land in the container. */
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mounter_client.h"
#include "shim_config.h"

#define EXPORT __attribute__((visibility("default")))

typedef int (*mount_fn)(const char *, const char *, const char *, unsigned long,
                        const void *);
typedef int (*umount2_fn)(const char *, int);
typedef int (*fsopen_fn)(const char *, unsigned int);

static mount_fn real_mount;
static umount2_fn real_umount2;
static fsopen_fn real_fsopen;
static pthread_once_t real_once = PTHREAD_ONCE_INIT;

/* Set while this thread is inside a forwarding hook; a nested call goes straight to
 * glibc. initial-exec: the library is preloaded, so its TLS is static and touching it
 * never allocates. */
static __thread int in_hook __attribute__((tls_model("initial-exec")));

EXPORT int mount(const char *source, const char *target, const char *fstype,
                 unsigned long flags, const void *data);
EXPORT int umount(const char *target);
EXPORT int umount2(const char *target, int flags);
EXPORT int fsopen(const char *fsname, unsigned int flags);

/* RTLD_NEXT can hand back this library's own symbol (e.g. when it is also linked in
 * directly); calling that would recurse forever, so it counts as not found. */
static void resolve_real(void)
{
    void *m = dlsym(RTLD_NEXT, "mount");
    void *u = dlsym(RTLD_NEXT, "umount2");
    void *f = dlsym(RTLD_NEXT, "fsopen");
    real_mount = (m == NULL || m == (void *)mount) ? NULL : (mount_fn)m;
    real_umount2 = (u == NULL || u == (void *)umount2) ? NULL : (umount2_fn)u;
    real_fsopen = (f == NULL || f == (void *)fsopen) ? NULL : (fsopen_fn)f;
}

/* Resolves the real functions and loads the configuration (each once) without
 * disturbing errno: a call that succeeds must leave the caller's errno as it was. */
static const struct shim_config *prepare(void)
{
    int saved = errno;
    pthread_once(&real_once, resolve_real);
    const struct shim_config *c = shim_config_get();
    errno = saved;
    return c;
}

static int call_real_mount(const char *source, const char *target, const char *fstype,
                           unsigned long flags, const void *data)
{
    if (real_mount == NULL) {
        errno = ENOSYS;
        return -1;
    }
    return real_mount(source, target, fstype, flags, data);
}

static int call_real_umount2(const char *target, int flags)
{
    if (real_umount2 == NULL) {
        errno = ENOSYS;
        return -1;
    }
    return real_umount2(target, flags);
}

/* Appends at most 1024 bytes of s; control bytes become '?' so a report stays one line. */
static size_t append(char *line, size_t cap, size_t len, const char *s)
{
    for (size_t i = 0; s[i] != '\0' && i < 1024 && len < cap; i++)
        line[len++] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
    return len;
}

/* Writes "mounter-preload: " + parts + "\n" with one write(2): no stdio buffer that
 * could be lost or duplicated across fork. parts ends with NULL. */
static void report(const char *const parts[])
{
    char line[3072];
    size_t len = append(line, sizeof line - 1, 0, "mounter-preload: ");
    for (int i = 0; parts[i] != NULL; i++)
        len = append(line, sizeof line - 1, len, parts[i]);
    line[len++] = '\n';
    ssize_t n;
    do
        n = write(STDERR_FILENO, line, len);
    while (n < 0 && errno == EINTR);
}

static int refuse(const char *op, const char *target, int err, const char *message)
{
    char buf[128];
    if (message == NULL || message[0] == '\0')
        message = strerror_r(err, buf, sizeof buf);
    report((const char *const[]){op, " ", target ? target : "(null)", ": ", message, NULL});
    errno = err;
    return -1;
}

/* Sends rq; returns 0 with errno = saved, or -1 with errno set after one report line. */
static int forward(const struct mounter_request *rq, const char *op, int saved)
{
    struct mounter_reply reply;
    if (mounter_client_call(rq, &reply) < 0) {
        char buf[128];
        const char *why = strerror_r(errno, buf, sizeof buf);
        report((const char *const[]){"cannot reach mounterd at ", mounter_socket_path(),
                                     ": ", why, NULL});
        errno = EHOSTDOWN;
        return -1;
    }
    if (reply.status != 0)
        return refuse(op, rq->target, (int)reply.status, reply.message);
    errno = saved;
    return 0;
}

/* N of the first "fd=N" option (decimal digits only, 0..INT_MAX), or -1. Without a
 * valid fd= no fd is attached, and mounterd refuses the FUSE mount with EINVAL. */
static int option_fd(const char *opts)
{
    while (*opts != '\0') {
        size_t n = strcspn(opts, ",");
        if (n > 3 && strncmp(opts, "fd=", 3) == 0) {
            char *end;
            errno = 0;
            long v = isdigit((unsigned char)opts[3]) ? strtol(opts + 3, &end, 10) : -1;
            if (v < 0 || errno != 0 || end != opts + n || v > INT_MAX)
                return -1;
            return (int)v;
        }
        opts += n + (opts[n] == ',');
    }
    return -1;
}

static int forward_mount(const char *source, const char *target, const char *fstype,
                         unsigned long flags, const char *data, int saved)
{
    /* The kernel ignores the old magic 0xC0ED in the top 16 bits; so does the request. */
    if ((flags & MS_MGC_MSK) == MS_MGC_VAL)
        flags &= ~(unsigned long)MS_MGC_MSK;
    struct mounter_request rq = {
        .op = MOUNTER_OP_MOUNT, .id = (uint32_t)gettid(), .source = source,
        .target = target, .fstype = fstype, .mount_flags = flags, .data = data,
        .fd = data != NULL ? option_fd(data) : -1,
    };
    if (rq.fd >= 0 && fcntl(rq.fd, F_GETFD) < 0)
        return refuse("mount", target, EBADF, "the fd= option names no open file");
    return forward(&rq, "mount", saved);
}

/* mounterd accepts only root peers, so a forwarded call from any other effective uid gets,
 * quietly, what the kernel would answer it: EPERM. libfuse then falls back to fusermount3
 * (the setuid stand-in) without a refusal line first. Never the real call: fail closed. */
static int unprivileged(void)
{
    if (geteuid() == 0)
        return 0;
    errno = EPERM;
    return 1;
}

EXPORT int mount(const char *source, const char *target, const char *fstype,
                 unsigned long flags, const void *data)
{
    int saved = errno;
    if (in_hook || !shim_forwards_fstype(prepare(), fstype))
        return call_real_mount(source, target, fstype, flags, data);
    if (unprivileged())
        return -1;
    in_hook = 1;
    int rc = forward_mount(source, target, fstype, flags, data, saved);
    in_hook = 0;
    return rc;
}

/* util-linux umount may run chdir(parent); umount2("name"), and so may anyone: a relative
 * target is taken against the working directory, as the kernel takes it, else a forwarded
 * mount would vanish from the container alone and stay on the host. Lexical only: mounterd
 * resolves the result without following symlinks, and refuses "..". NULL if the working
 * directory cannot be told (removed, or the path too long). */
static const char *absolute_target(const char *target, char *buf, size_t size)
{
    if (target == NULL || target[0] == '/')
        return target;
    if (getcwd(buf, size) == NULL || buf[0] != '/')
        return NULL;
    size_t n = strlen(buf);
    int written = snprintf(buf + n, size - n, "%s%s", n > 1 ? "/" : "", target);
    return written >= 0 && (size_t)written < size - n ? buf : NULL;
}

static int hook_umount2(const char *target, int flags)
{
    int saved = errno;
    if (in_hook)
        return call_real_umount2(target, flags);
    char buf[PATH_MAX];
    const char *absolute = absolute_target(target, buf, sizeof buf);
    if (absolute == NULL)
        return refuse("umount", target, EHOSTDOWN,
                      "a relative target, and the working directory cannot be told: not unmounted");
    if (!shim_forwards_umount(prepare(), absolute))
        return call_real_umount2(target, flags);
    if (unprivileged())
        return -1;
    struct mounter_request rq = {
        .op = MOUNTER_OP_UMOUNT, .id = (uint32_t)gettid(), .target = absolute,
        .umount_flags = (uint32_t)flags, .fd = -1,
    };
    in_hook = 1;
    int rc = forward(&rq, "umount", saved);
    in_hook = 0;
    return rc;
}

EXPORT int umount2(const char *target, int flags)
{
    return hook_umount2(target, flags);
}

EXPORT int umount(const char *target)
{
    return hook_umount2(target, 0);
}

EXPORT int fsopen(const char *fsname, unsigned int flags)
{
    if (!in_hook && shim_forwards_fstype(prepare(), fsname)) {
        errno = ENOSYS; /* "no new mount API": libmount retries with mount(2) */
        return -1;
    }
    if (real_fsopen != NULL)
        return real_fsopen(fsname, flags);
    return (int)syscall(SYS_fsopen, fsname, flags); /* a glibc older than 2.36 */
}
