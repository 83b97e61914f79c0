package io.mounter.linux;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;

/**
 * The libc functions mounter calls, bound once by jnr-ffi. The holder class is
 * package-private: everything else goes through {@link Syscalls}, which turns errno into
 * {@link SyscallException}. (The interface itself must be public for jnr's generated class.)
 */
final class Native {
    static final LibC C = LibraryLoader.create(LibC.class).load("c");

    private Native() {
    }

    public interface LibC {

        int socket(int domain, int type, int protocol);

        int bind(int fd, Pointer addr, int addrlen);

        int listen(int fd, int backlog);

        int accept4(int fd, Pointer addr, Pointer addrlen, int flags);

        int connect(int fd, Pointer addr, int addrlen);

        long recvmsg(int fd, Pointer msghdr, int flags);

        long sendmsg(int fd, Pointer msghdr, int flags);

        int getsockopt(int fd, int level, int optname, Pointer optval, Pointer optlen);

        int setsockopt(int fd, int level, int optname, Pointer optval, int optlen);

        int shutdown(int fd, int how);

        int close(int fd);

        int open(String path, int flags, int mode);


        int chmod(String path, int mode);

        int fchdir(int fd);

        int chdir(String path);

        int mount(String source, String target, String fstype, long flags, String data);

        int umount2(String target, int flags);

        int setns(int fd, int nstype);

        int unshare(int flags);

        int prctl(int option, long arg2, long arg3, long arg4, long arg5);

        int statx(int dirfd, String path, int flags, int mask, Pointer statxbuf);

        int fstatfs(int fd, Pointer buf);

        int mkdirat(int dirfd, String path, int mode);

        int unlinkat(int dirfd, String path, int flags);

        int kill(int pid, int signal);

        int geteuid();

        int poll(Pointer fds, long nfds, int timeout);

        long read(int fd, @Out byte[] buf, long count);

        long write(int fd, @In byte[] buf, long count);

        long lseek(int fd, long offset, int whence);

        int eventfd(int initval, int flags);

        /** Used for openat2 (no glibc wrapper in Debian 12). */
        long syscall(long number, int dirfd, String path, Pointer how, long size);

        /** Used for pidfd_open (no glibc wrapper in Debian 12). */
        long syscall(long number, int pid, int flags);

        /** open_tree(2): no glibc wrapper in Debian 12. */
        long syscall(long number, int dirfd, String path, int flags);

        /** move_mount(2): no glibc wrapper in Debian 12. */
        long syscall(long number, int fromDirfd, String fromPath, int toDirfd, String toPath, int flags);

        String strerror(int errnum);
    }
}
