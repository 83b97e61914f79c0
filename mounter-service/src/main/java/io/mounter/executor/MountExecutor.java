package io.mounter.executor;

/**
 * Runs {@link HostCommand}s in the host mount namespace. The only way into that namespace:
 * the threads that live there are the executor's own and run nothing but these commands.
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
}
