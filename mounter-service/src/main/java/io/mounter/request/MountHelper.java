package io.mounter.request;

import io.mounter.linux.Errno;
import io.mounter.linux.SyscallException;
import io.mounter.linux.Syscalls;
import io.mounter.policy.Refusal;
import io.mounter.protocol.Limits;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Runs mount(8) in the mount container as a normal process, the way mounterctl mount
 * asks: in a session of its own (so a timeout can kill the helper's whole process group),
 * with the shim active (it is in the container's /etc/ld.so.preload, so the helper's
 * mount() comes back to mounterd) and output captured in a file: a daemonizing helper may
 * keep a pipe open for ever.
 */
public final class MountHelper implements HelperRunner {
    private static final int SIGKILL = 9;

    private final Map<String, String> environment;
    private final Semaphore running;

    /**
     * @param environment added to the helper's environment (MOUNTER_SOCKET and the like)
     * @param maxRunning helpers at once; must stay below the number of connection workers,
     *     since each waiting caller holds a worker and each helper's own mount() needs one
     */
    public MountHelper(Map<String, String> environment, int maxRunning) {
        this.environment = Map.copyOf(environment);
        this.running = new Semaphore(maxRunning);
    }

    /** How the helper ended; {@code exitStatus} is -1 when it was killed at the timeout. */
    public record Result(int exitStatus, boolean timedOut, String output) {
    }

    /** mount(8)'s argv; "--" keeps a source that looks like an option from being one. */
    public static List<String> argv(String fstype, String options, String source, String target) {
        List<String> argv = new ArrayList<>(List.of("mount", "-t", fstype));
        if (options != null && !options.isEmpty()) {
            argv.addAll(List.of("-o", options));
        }
        argv.addAll(List.of("--", source, target));
        return argv;
    }

    /**
     * Runs {@code argv} and waits.
     *
     * @throws Refusal EAGAIN when as many helpers as allowed already run
     */
    @Override
    public Result run(List<String> argv, Duration timeout) {
        return run(argv, timeout, HelperInput.NONE);
    }

    @Override
    public Result run(List<String> argv, Duration timeout, HelperInput input) {
        if (!running.tryAcquire()) {
            throw new Refusal(Errno.EAGAIN, "too many mount helpers running; try again");
        }
        try {
            return runHere(argv, timeout, input);
        } finally {
            running.release();
        }
    }

    private Result runHere(List<String> argv, Duration timeout, HelperInput input) {
        try {
            return runAndWait(argv, timeout, input);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + argv.get(0), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while " + argv.get(0) + " ran", e);
        }
    }

    private Result runAndWait(List<String> argv, Duration timeout, HelperInput input)
            throws IOException, InterruptedException {
        Path output = Files.createTempFile("mount-helper-", ".out");
        try {
            List<String> command = new ArrayList<>(List.of("setsid"));
            command.addAll(withSecretFiles(input, argv));
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(output.toFile()).redirectInput(input.stdin() == null
                            ? ProcessBuilder.Redirect.from(new java.io.File("/dev/null")) : ProcessBuilder.Redirect.PIPE);
            builder.environment().putAll(environment);
            List<String> names = new ArrayList<>(input.files().keySet());
            for (int i = 0; i < names.size(); i++) {
                builder.environment().put(SECRET_VARIABLE + i, input.files().get(names.get(i)));
            }
            Process process = builder.start();
            if (input.stdin() != null) {
                try (var stdin = process.getOutputStream()) {
                    stdin.write(input.stdin());
                } catch (IOException helperGone) {
                    // it exited without reading: its status says why
                }
            }
            if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                return new Result(process.exitValue(), false, read(output));
            }
            killGroup(process);
            return new Result(-1, true, read(output));
        } finally {
            Files.deleteIfExists(output);
        }
    }

    /**
     * Secret files: the helper runs in a mount namespace of its own (unshare), where a tmpfs
     * at {@link HelperInput#SECRETS_DIR} holds them, written from environment variables (which
     * only root may read, in /proc/PID/environ) that are unset before the helper starts; the
     * files are removed when it exits. The daemon a helper leaves behind keeps that namespace,
     * with the tmpfs empty by then.
     */
    private static List<String> withSecretFiles(HelperInput input, List<String> argv) {
        if (input.files().isEmpty()) {
            return argv;
        }
        List<String> names = new ArrayList<>(input.files().keySet());
        List<String> wrapped = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private", "--",
                "sh", "-c", WRITE_SECRETS_AND_RUN, "mounter-secrets", HelperInput.SECRETS_DIR,
                Integer.toString(names.size())));
        wrapped.addAll(names);
        wrapped.add("--");
        wrapped.addAll(argv);
        return wrapped;
    }

    private static final String SECRET_VARIABLE = "MOUNTER_SECRET_";
    private static final String WRITE_SECRETS_AND_RUN = """
            dir=$1 n=$2
            shift 2
            mkdir -p "$dir" && mount -t tmpfs -o size=1m,mode=0700 mounter-secrets "$dir" || exit 32
            i=0
            while [ "$i" -lt "$n" ]; do
                eval "value=\\$MOUNTER_SECRET_$i"
                unset "MOUNTER_SECRET_$i"
                (umask 077 && printf '%s' "$value" > "$dir/$1") || exit 32
                shift
                i=$((i + 1))
            done
            shift
            status=0
            "$@" || status=$?
            rm -f "$dir"/*
            exit "$status"
            """;

    /** setsid made the helper a session and group leader: its pid is the group id. */
    private static void killGroup(Process process) throws InterruptedException {
        try {
            Syscalls.kill((int) -process.pid(), SIGKILL);
        } catch (SyscallException e) {
            // the group is gone already, or setsid had to fork: end what is left by tree
        }
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor();
    }

    private static String read(Path output) {
        try (InputStream in = Files.newInputStream(output)) {
            return new String(in.readNBytes(Limits.OUTPUT_MAX), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
