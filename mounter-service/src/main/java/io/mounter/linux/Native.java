package io.mounter.linux;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;

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

        int fstat(int fd, Pointer statbuf);

        int chmod(String path, int mode);

        int fchdir(int fd);

        int chdir(String path);

        int mount(String source, String target, String fstype, long flags, String data);

        int umount2(String target, int flags);

        int setns(int fd, int nstype);

        int unshare(int flags);

        int statx(int dirfd, String path, int flags, int mask, Pointer statxbuf);

        int kill(int pid, int signal);

        /** Used for openat2 (no glibc wrapper in Debian 12). */
        long syscall(long number, int dirfd, String path, Pointer how, long size);

        String strerror(int errnum);
    }
}
