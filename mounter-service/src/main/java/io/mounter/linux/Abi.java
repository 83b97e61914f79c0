package io.mounter.linux;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The kernel interface as mounter's syscall layer depends on it, per architecture: struct
 * sizes and field offsets, flag values and syscall numbers. Every value the layer writes
 * into or reads out of native memory, or passes as a number, comes from here, never as a
 * bare literal.
 *
 * <p>Each fact is named the way {@code preload-shim/test/abi_probe.c} prints it
 * ({@code size.msghdr}, {@code msghdr.msg_controllen}, {@code O_DIRECTORY},
 * {@code SYS_openat2}); {@code AbiLayoutTest} compiles that probe for each architecture
 * (aarch64 with gcc-aarch64-linux-gnu, run under qemu-aarch64-static) and compares its
 * output with {@link #facts()}, so a wrong entry here fails the build, not a node.
 *
 * <p>Why per architecture: x86-64's {@code struct stat} has {@code st_mode} at 24 and arm64's
 * at 16; arm64 numbers {@code O_DIRECTORY} and {@code O_NOFOLLOW} differently and has no
 * fork(2) or vfork(2). {@code statx} and the structs of the newer calls are the same
 * everywhere, which is why device numbers and modes are read through statx.
 */
public final class Abi {
    /** A syscall an architecture does not have (arm64's fork and vfork). */
    public static final long NO_SYSCALL = -1;

    /** The architectures the tables cover, by the JVM's {@code os.arch}. */
    public enum Arch {
        X86_64("amd64", "x86_64"),
        AARCH64("aarch64", "arm64");

        private final String[] osArchNames;

        Arch(String... osArchNames) {
            this.osArchNames = osArchNames;
        }

        static Arch of(String osArch) {
            for (Arch arch : values()) {
                for (String name : arch.osArchNames) {
                    if (name.equals(osArch.toLowerCase(Locale.ROOT))) {
                        return arch;
                    }
                }
            }
            throw new UnsupportedArchitectureException(osArch);
        }
    }

    /** The JVM runs on an architecture the tables do not cover: mounterd must not start. */
    public static final class UnsupportedArchitectureException extends RuntimeException {
        UnsupportedArchitectureException(String osArch) {
            super("architecture " + osArch + " is not supported: mounter knows the kernel's struct layouts and"
                    + " syscall numbers for x86-64 and aarch64 only");
        }
    }

    private final Arch arch;
    private final Map<String, Long> facts;

    private Abi(Arch arch, Map<String, Long> facts) {
        this.arch = arch;
        this.facts = Collections.unmodifiableMap(facts);
    }

    /**
     * The table of the running JVM's architecture.
     *
     * @throws UnsupportedArchitectureException on any other: mounterd checks this first
     *     thing at start and refuses to run
     */
    public static Abi current() {
        return forOsArch(System.getProperty("os.arch", "unknown"));
    }

    /** The table for a JVM {@code os.arch} value ("amd64", "aarch64"). */
    public static Abi forOsArch(String osArch) {
        return of(Arch.of(osArch));
    }

    public static Abi of(Arch arch) {
        Map<String, Long> facts = new LinkedHashMap<>(common());
        facts.putAll(arch == Arch.X86_64 ? x8664() : aarch64());
        return new Abi(arch, facts);
    }

    public Arch arch() {
        return arch;
    }

    /** Every fact by its probe name, for the layout test. */
    public Map<String, Long> facts() {
        return facts;
    }

    /**
     * One fact as a 32-bit value: offsets, sizes, flags and syscall numbers fit, and
     * {@code AUDIT_ARCH} (above 2^31) keeps its bits, as BPF compares 32-bit words.
     *
     * @throws IllegalArgumentException for a name the table lacks: a typo must not read 0
     */
    public int get(String name) {
        Long value = facts.get(name);
        if (value == null) {
            throw new IllegalArgumentException("no ABI fact " + name + " for " + arch);
        }
        if (value < Integer.MIN_VALUE || value > 0xffffffffL) {
            throw new IllegalArgumentException("ABI fact " + name + " does not fit 32 bits: " + value);
        }
        return (int) (long) value;
    }

    /** Same on every architecture Linux and glibc share the generic LP64 layout on. */
    private static Map<String, Long> common() {
        Map<String, Long> m = new LinkedHashMap<>();
        // struct msghdr, iovec, cmsghdr: LP64
        m.put("size.msghdr", 56L);
        m.put("msghdr.msg_name", 0L);
        m.put("msghdr.msg_namelen", 8L);
        m.put("msghdr.msg_iov", 16L);
        m.put("msghdr.msg_iovlen", 24L);
        m.put("msghdr.msg_control", 32L);
        m.put("msghdr.msg_controllen", 40L);
        m.put("msghdr.msg_flags", 48L);
        m.put("size.iovec", 16L);
        m.put("iovec.iov_base", 0L);
        m.put("iovec.iov_len", 8L);
        m.put("size.cmsghdr", 16L);
        m.put("cmsghdr.cmsg_len", 0L);
        m.put("cmsghdr.cmsg_level", 8L);
        m.put("cmsghdr.cmsg_type", 12L);
        m.put("size.ucred", 12L);
        m.put("ucred.pid", 0L);
        m.put("ucred.uid", 4L);
        m.put("ucred.gid", 8L);
        m.put("size.timeval", 16L);
        m.put("timeval.tv_sec", 0L);
        m.put("timeval.tv_usec", 8L);
        m.put("size.pollfd", 8L);
        m.put("pollfd.fd", 0L);
        m.put("pollfd.events", 4L);
        m.put("pollfd.revents", 6L);
        m.put("size.sockaddr_un", 110L);
        m.put("sockaddr_un.sun_family", 0L);
        m.put("sockaddr_un.sun_path", 2L);
        // struct open_how and struct statx: fixed by the kernel, the same everywhere
        m.put("size.open_how", 24L);
        m.put("open_how.flags", 0L);
        m.put("open_how.mode", 8L);
        m.put("open_how.resolve", 16L);
        m.put("size.statx", 256L);
        m.put("statx.stx_mask", 0L);
        m.put("statx.stx_attributes", 8L);
        m.put("statx.stx_mode", 28L);
        m.put("statx.stx_ino", 32L);
        m.put("statx.stx_rdev_major", 128L);
        m.put("statx.stx_rdev_minor", 132L);
        m.put("statx.stx_dev_major", 136L);
        m.put("statx.stx_dev_minor", 140L);
        m.put("statx.stx_mnt_id", 144L);
        // struct statfs (statfs(2), for volume statistics)
        m.put("size.statfs", 120L);
        m.put("statfs.f_type", 0L);
        m.put("statfs.f_bsize", 8L);
        m.put("statfs.f_blocks", 16L);
        m.put("statfs.f_bfree", 24L);
        m.put("statfs.f_bavail", 32L);
        m.put("statfs.f_files", 40L);
        m.put("statfs.f_ffree", 48L);
        // seccomp: struct sock_filter, sock_fprog, seccomp_data
        m.put("size.sock_filter", 8L);
        m.put("size.sock_fprog", 16L);
        m.put("sock_fprog.len", 0L);
        m.put("sock_fprog.filter", 8L);
        m.put("seccomp_data.nr", 0L);
        m.put("seccomp_data.arch", 4L);
        // flags and numbers the generic and x86 headers agree on
        m.put("O_RDONLY", 0L);
        m.put("O_WRONLY", 1L);
        m.put("O_RDWR", 2L);
        m.put("O_CREAT", 0100L);
        m.put("O_EXCL", 0200L);
        m.put("O_CLOEXEC", 02000000L);
        m.put("O_PATH", 010000000L);
        m.put("AT_FDCWD", -100L);
        m.put("AT_SYMLINK_NOFOLLOW", 0x100L);
        m.put("AT_EMPTY_PATH", 0x1000L);
        m.put("AT_RECURSIVE", 0x8000L);
        m.put("AT_STATX_DONT_SYNC", 0x4000L);
        m.put("STATX_TYPE", 0x1L);
        m.put("STATX_MODE", 0x2L);
        m.put("STATX_INO", 0x100L);
        m.put("STATX_MNT_ID", 0x1000L);
        m.put("STATX_ATTR_MOUNT_ROOT", 0x2000L);
        m.put("RESOLVE_NO_XDEV", 0x01L);
        m.put("RESOLVE_NO_MAGICLINKS", 0x02L);
        m.put("RESOLVE_NO_SYMLINKS", 0x04L);
        m.put("RESOLVE_BENEATH", 0x08L);
        m.put("OPEN_TREE_CLONE", 1L);
        m.put("OPEN_TREE_CLOEXEC", 02000000L);
        m.put("MOVE_MOUNT_F_EMPTY_PATH", 0x04L);
        m.put("MOVE_MOUNT_T_EMPTY_PATH", 0x40L);
        m.put("CLONE_FS", 0x200L);
        m.put("CLONE_NEWNS", 0x20000L);
        m.put("AF_UNIX", 1L);
        m.put("SOCK_SEQPACKET", 5L);
        m.put("SOCK_CLOEXEC", 02000000L);
        m.put("SOL_SOCKET", 1L);
        m.put("SO_PEERCRED", 17L);
        m.put("SO_RCVTIMEO", 20L);
        m.put("SO_SNDTIMEO", 21L);
        m.put("SCM_RIGHTS", 1L);
        m.put("MSG_CTRUNC", 0x8L);
        m.put("MSG_TRUNC", 0x20L);
        m.put("MSG_DONTWAIT", 0x40L);
        m.put("MSG_NOSIGNAL", 0x4000L);
        m.put("MSG_CMSG_CLOEXEC", 0x40000000L);
        m.put("SHUT_RD", 0L);
        m.put("SHUT_RDWR", 2L);
        m.put("EFD_CLOEXEC", 02000000L);
        m.put("EFD_NONBLOCK", 04000L);
        m.put("POLLIN", 0x1L);
        m.put("POLLPRI", 0x2L);
        m.put("POLLERR", 0x8L);
        m.put("POLLHUP", 0x10L);
        m.put("POLLNVAL", 0x20L);
        m.put("SEEK_SET", 0L);
        m.put("PR_SET_NO_NEW_PRIVS", 38L);
        m.put("PR_SET_SECCOMP", 22L);
        m.put("SECCOMP_MODE_FILTER", 2L);
        m.put("SECCOMP_RET_ALLOW", 0x7fff0000L);
        m.put("SECCOMP_RET_ERRNO", 0x00050000L);
        // syscalls numbered alike on every architecture since Linux 5.1 (424 and up)
        m.put("SYS_pidfd_open", 434L);
        m.put("SYS_clone3", 435L);
        m.put("SYS_openat2", 437L);
        m.put("SYS_open_tree", 428L);
        m.put("SYS_move_mount", 429L);
        m.put("SYS_mount_setattr", 442L);
        return m;
    }

    private static Map<String, Long> x8664() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("AUDIT_ARCH", 0xc000003eL); // AUDIT_ARCH_X86_64
        m.put("O_DIRECTORY", 0200000L);
        m.put("O_NOFOLLOW", 0400000L);
        m.put("SYS_clone", 56L);
        m.put("SYS_fork", 57L);
        m.put("SYS_vfork", 58L);
        m.put("SYS_execve", 59L);
        m.put("SYS_execveat", 322L);
        return m;
    }

    private static Map<String, Long> aarch64() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("AUDIT_ARCH", 0xc00000b7L); // AUDIT_ARCH_AARCH64
        m.put("O_DIRECTORY", 040000L);
        m.put("O_NOFOLLOW", 0100000L);
        m.put("SYS_clone", 220L);
        m.put("SYS_fork", NO_SYSCALL);
        m.put("SYS_vfork", NO_SYSCALL);
        m.put("SYS_execve", 221L);
        m.put("SYS_execveat", 281L);
        return m;
    }
}
