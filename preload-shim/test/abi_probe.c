/* Prints the kernel interface facts mounterd's Java syscall layer uses, as the system
 * headers of the compile target define them: one line "NAME VALUE" (decimal) per entry of
 * io.mounter.linux.Abi's tables, with the same names (size.msghdr, msghdr.msg_controllen,
 * O_DIRECTORY, SYS_openat2, AUDIT_ARCH). AbiLayoutTest compiles it natively and with
 * aarch64-linux-gnu-gcc -static (run under qemu-aarch64-static) and compares.
 * A syscall the target lacks prints -1 (Abi.NO_SYSCALL). Takes no arguments. */
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/eventfd.h>
/* glibc 2.36's <sys/mount.h> defines OPEN_TREE_* and MOVE_MOUNT_* itself; together with
 * <linux/mount.h> it fails to compile with some header versions, so only this one. */
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/vfs.h>
#include <unistd.h>

static void fact(const char *name, long long value)
{
    printf("%s %lld\n", name, value);
}

/* #name stringifies the argument before expansion: VALUE(O_PATH) prints "O_PATH". */
#define SIZE(tag) fact("size." #tag, (long long)sizeof(struct tag))
#define OFFSET(tag, field) fact(#tag "." #field, (long long)offsetof(struct tag, field))
#define VALUE(name) fact(#name, (long long)(name))

static void socket_structs(void)
{
    SIZE(msghdr);
    OFFSET(msghdr, msg_name);
    OFFSET(msghdr, msg_namelen);
    OFFSET(msghdr, msg_iov);
    OFFSET(msghdr, msg_iovlen);
    OFFSET(msghdr, msg_control);
    OFFSET(msghdr, msg_controllen);
    OFFSET(msghdr, msg_flags);
    SIZE(iovec);
    OFFSET(iovec, iov_base);
    OFFSET(iovec, iov_len);
    SIZE(cmsghdr);
    OFFSET(cmsghdr, cmsg_len);
    OFFSET(cmsghdr, cmsg_level);
    OFFSET(cmsghdr, cmsg_type);
    SIZE(ucred);
    OFFSET(ucred, pid);
    OFFSET(ucred, uid);
    OFFSET(ucred, gid);
    SIZE(timeval);
    OFFSET(timeval, tv_sec);
    OFFSET(timeval, tv_usec);
    SIZE(pollfd);
    OFFSET(pollfd, fd);
    OFFSET(pollfd, events);
    OFFSET(pollfd, revents);
    SIZE(sockaddr_un);
    OFFSET(sockaddr_un, sun_family);
    OFFSET(sockaddr_un, sun_path);
}

static void file_structs(void)
{
    SIZE(open_how);
    OFFSET(open_how, flags);
    OFFSET(open_how, mode);
    OFFSET(open_how, resolve);
    SIZE(statx);
    OFFSET(statx, stx_mask);
    OFFSET(statx, stx_attributes);
    OFFSET(statx, stx_mode);
    OFFSET(statx, stx_ino);
    OFFSET(statx, stx_rdev_major);
    OFFSET(statx, stx_rdev_minor);
    OFFSET(statx, stx_dev_major);
    OFFSET(statx, stx_dev_minor);
    OFFSET(statx, stx_mnt_id);
    SIZE(statfs);
    OFFSET(statfs, f_type);
    OFFSET(statfs, f_bsize);
    OFFSET(statfs, f_blocks);
    OFFSET(statfs, f_bfree);
    OFFSET(statfs, f_bavail);
    OFFSET(statfs, f_files);
    OFFSET(statfs, f_ffree);
}

static void seccomp_structs(void)
{
    SIZE(sock_filter);
    SIZE(sock_fprog);
    OFFSET(sock_fprog, len);
    OFFSET(sock_fprog, filter);
    OFFSET(seccomp_data, nr);
    OFFSET(seccomp_data, arch);
}

/* The filter's architecture word: above 2^31, so printed as the unsigned 32-bit value. */
static void audit_arch(void)
{
#if defined(__x86_64__)
    fact("AUDIT_ARCH", (long long)(uint32_t)AUDIT_ARCH_X86_64);
#elif defined(__aarch64__)
    fact("AUDIT_ARCH", (long long)(uint32_t)AUDIT_ARCH_AARCH64);
#else
#error "abi_probe: only x86-64 and aarch64 are covered by io.mounter.linux.Abi"
#endif
}

static void file_flags(void)
{
    VALUE(O_RDONLY);
    VALUE(O_WRONLY);
    VALUE(O_RDWR);
    VALUE(O_CREAT);
    VALUE(O_EXCL);
    VALUE(O_CLOEXEC);
    VALUE(O_PATH);
    VALUE(O_DIRECTORY);
    VALUE(O_NOFOLLOW);
    VALUE(AT_FDCWD);
    VALUE(AT_SYMLINK_NOFOLLOW);
    VALUE(AT_EMPTY_PATH);
    VALUE(AT_RECURSIVE);
    VALUE(AT_STATX_DONT_SYNC);
    VALUE(STATX_TYPE);
    VALUE(STATX_MODE);
    VALUE(STATX_INO);
    VALUE(STATX_MNT_ID);
    VALUE(STATX_ATTR_MOUNT_ROOT);
    VALUE(RESOLVE_NO_XDEV);
    VALUE(RESOLVE_NO_MAGICLINKS);
    VALUE(RESOLVE_NO_SYMLINKS);
    VALUE(RESOLVE_BENEATH);
    VALUE(OPEN_TREE_CLONE);
    VALUE(OPEN_TREE_CLOEXEC);
    VALUE(MOVE_MOUNT_F_EMPTY_PATH);
    VALUE(MOVE_MOUNT_T_EMPTY_PATH);
    VALUE(CLONE_FS);
    VALUE(CLONE_NEWNS);
    VALUE(SEEK_SET);
}

static void socket_flags(void)
{
    VALUE(AF_UNIX);
    VALUE(SOCK_SEQPACKET);
    VALUE(SOCK_CLOEXEC);
    VALUE(SOL_SOCKET);
    VALUE(SO_PEERCRED);
    /* glibc picks SO_RCVTIMEO_OLD or _NEW by time_t's size: on LP64 the old, 20/21 */
    VALUE(SO_RCVTIMEO);
    VALUE(SO_SNDTIMEO);
    VALUE(SCM_RIGHTS);
    VALUE(MSG_CTRUNC);
    VALUE(MSG_TRUNC);
    VALUE(MSG_DONTWAIT);
    VALUE(MSG_NOSIGNAL);
    VALUE(MSG_CMSG_CLOEXEC);
    VALUE(SHUT_RD);
    VALUE(SHUT_RDWR);
    VALUE(EFD_CLOEXEC);
    VALUE(EFD_NONBLOCK);
    VALUE(POLLIN);
    VALUE(POLLPRI);
    VALUE(POLLERR);
    VALUE(POLLHUP);
    VALUE(POLLNVAL);
}

static void seccomp_flags(void)
{
    VALUE(PR_SET_NO_NEW_PRIVS);
    VALUE(PR_SET_SECCOMP);
    VALUE(SECCOMP_MODE_FILTER);
    VALUE(SECCOMP_RET_ALLOW);
    VALUE(SECCOMP_RET_ERRNO);
}

/* arm64 (the generic syscall table) has no fork or vfork: clone does both there. */
static void syscalls(void)
{
    VALUE(SYS_pidfd_open);
    VALUE(SYS_clone3);
    VALUE(SYS_openat2);
    VALUE(SYS_open_tree);
    VALUE(SYS_move_mount);
    VALUE(SYS_mount_setattr);
    VALUE(SYS_clone);
    VALUE(SYS_execve);
    VALUE(SYS_execveat);
#ifdef SYS_fork
    VALUE(SYS_fork);
#else
    fact("SYS_fork", -1);
#endif
#ifdef SYS_vfork
    VALUE(SYS_vfork);
#else
    fact("SYS_vfork", -1);
#endif
}

int main(void)
{
    socket_structs();
    file_structs();
    seccomp_structs();
    audit_arch();
    file_flags();
    socket_flags();
    seccomp_flags();
    syscalls();
    return fflush(stdout) == 0 ? 0 : 1;
}
