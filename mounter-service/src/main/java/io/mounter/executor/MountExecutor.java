package io.mounter.executor;

/**
 * Runs {@link HostCommand}s in the host mount namespace, and {@link NamespaceCommand}s in
 * other processes' namespaces. The only way into those namespaces: the threads that live
 * there are the executor's own and run nothing but these commands.
 */
public interface MountExecutor {
    /**
     * Runs {@code command} on a thread pinned in the host namespace and waits for it.
     *
     * @return the command's result
     * @throws io.mounter.linux.SyscallException if a syscall of the command fails
     * @throws io.mounter.policy.Refusal if the command's path holds a symlink or leaves its
     *     prefix (EPERM)
     * @throws IllegalStateException if the executor is closed
     */
    <R> R execute(HostCommand<R> command);

    /**
     * Runs {@code command} on a thread that joins the mount namespace at {@code namespacePath}
     * (a {@code /proc/PID/ns/mnt} of mounterd's view) for it alone, and waits for it, at most
     * {@code NamespaceVisit.TIMEOUT}. Call from a thread that is not pinned.
     *
     * @throws io.mounter.linux.SyscallException if the namespace cannot be opened or joined
     *     (the process ended: ENOENT), or a syscall of the command fails
     * @throws IllegalStateException if the command did not end in time (the visiting thread
     *     is left to it), or the executor is closed
     */
    <R> R executeIn(String namespacePath, NamespaceCommand<R> command);
}
