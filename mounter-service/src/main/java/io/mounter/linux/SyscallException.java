package io.mounter.linux;

/**
 * A failed system call: the operation, its arguments (already free of secrets) and errno.
 * The only place errno becomes an exception is {@link Syscalls}.
 */
public final class SyscallException extends RuntimeException {
    private final String op;
    private final int errno;

    public SyscallException(String op, String args, int errno, String description) {
        super(op + "(" + args + "): " + description + " (errno " + errno + ")", null, false, false);
        this.op = op;
        this.errno = errno;
    }

    public String op() {
        return op;
    }

    public int errno() {
        return errno;
    }
}
