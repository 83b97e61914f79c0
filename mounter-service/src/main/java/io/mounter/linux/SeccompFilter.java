package io.mounter.linux;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Classic-BPF seccomp programs for {@link Syscalls#seccompThread}. One program here: a
 * thread that may not create threads or processes. Syscall numbers and the audit
 * architecture come from {@link Abi}; a call made under another ABI (x86-64's x32, or a
 * foreign architecture) is refused as well, so that numbering cannot be used to slip by.
 */
public final class SeccompFilter {
    private static final int BPF_LD_W_ABS = 0x20;
    private static final int BPF_JMP_JEQ_K = 0x15;
    private static final int BPF_JMP_JGE_K = 0x35;
    private static final int BPF_RET_K = 0x06;
    /** x86-64 marks x32 syscalls with this bit of the number. */
    private static final int X32_SYSCALL_BIT = 0x40000000;
    private static final int EPERM = 1;

    private SeccompFilter() {
    }

    /**
     * Refuses clone, clone3, fork, vfork, execve and execveat with EPERM; allows the rest.
     * pthread_create and posix_spawn then fail, and the JVM's Thread.start and
     * ProcessBuilder.start throw.
     */
    public static byte[] denyNewThreadsAndProcesses(Abi abi) {
        List<Integer> denied = new ArrayList<>();
        for (String name : List.of("SYS_clone", "SYS_clone3", "SYS_fork", "SYS_vfork", "SYS_execve", "SYS_execveat")) {
            if (abi.get(name) != Abi.NO_SYSCALL) {
                denied.add(abi.get(name));
            }
        }
        int deny = abi.get("SECCOMP_RET_ERRNO") | EPERM;
        int allow = abi.get("SECCOMP_RET_ALLOW");
        List<int[]> program = new ArrayList<>();
        program.add(insn(BPF_LD_W_ABS, 0, 0, abi.get("seccomp_data.arch")));
        program.add(insn(BPF_JMP_JEQ_K, 1, 0, abi.get("AUDIT_ARCH")));
        program.add(insn(BPF_RET_K, 0, 0, deny));
        program.add(insn(BPF_LD_W_ABS, 0, 0, abi.get("seccomp_data.nr")));
        // every check jumps to the last instruction (deny) on a match; offsets count from the next one
        int checks = denied.size() + (abi.arch() == Abi.Arch.X86_64 ? 1 : 0);
        int index = 0;
        if (abi.arch() == Abi.Arch.X86_64) {
            program.add(insn(BPF_JMP_JGE_K, checks - index, 0, X32_SYSCALL_BIT));
            index++;
        }
        for (int nr : denied) {
            program.add(insn(BPF_JMP_JEQ_K, checks - index, 0, nr));
            index++;
        }
        program.add(insn(BPF_RET_K, 0, 0, allow));
        program.add(insn(BPF_RET_K, 0, 0, deny));
        return encode(program, abi.get("size.sock_filter"));
    }

    private static int[] insn(int code, int jumpTrue, int jumpFalse, int k) {
        return new int[] {code, jumpTrue, jumpFalse, k};
    }

    /** struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; } in native order. */
    private static byte[] encode(List<int[]> program, int instructionSize) {
        ByteBuffer out = ByteBuffer.allocate(program.size() * instructionSize).order(ByteOrder.nativeOrder());
        for (int[] insn : program) {
            out.putShort((short) insn[0]).put((byte) insn[1]).put((byte) insn[2]).putInt(insn[3]);
        }
        return out.array();
    }
}
