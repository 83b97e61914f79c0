package io.mounter.node;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * An immutable argv with a timeout and an environment, run as a child process.
 *
 * <p>Output goes to temporary files, not pipes: a mount helper that daemonizes (glusterfs,
 * sshfs) may keep an inherited stdout open for its whole life, and reading a pipe to EOF
 * would then hang. Files are read once the command itself has exited.
 */
public final class Command {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private final List<String> argv;
    private final Map<String, String> environment; // null: inherit the JVM's
    private final Duration timeout;
    private final byte[] input;

    private Command(List<String> argv, Map<String, String> environment, Duration timeout, byte[] input) {
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("empty argv");
        }
        this.argv = List.copyOf(argv);
        this.environment = environment == null ? null : Map.copyOf(environment);
        this.timeout = timeout;
        this.input = input;
    }

    public static Command of(String... argv) {
        return of(List.of(argv));
    }

    public static Command of(List<String> argv) {
        return new Command(argv, null, DEFAULT_TIMEOUT, new byte[0]);
    }

    public Command withTimeout(Duration newTimeout) {
        return new Command(argv, environment, newTimeout, input);
    }

    /** Runs with exactly this environment instead of the JVM's. */
    public Command withEnvironment(Map<String, String> newEnvironment) {
        return new Command(argv, newEnvironment, timeout, input);
    }

    /** Feeds these bytes on stdin (default: empty stdin). */
    public Command withInput(String text) {
        return new Command(argv, environment, timeout, text.getBytes(StandardCharsets.UTF_8));
    }

    /** The same command run through a wrapper, e.g. {@code nsenter -t PID -m --}. */
    public Command prefixedWith(List<String> prefix) {
        List<String> all = new ArrayList<>(prefix);
        all.addAll(argv);
        return new Command(all, environment, timeout, input);
    }

    public List<String> argv() {
        return argv;
    }

    /** A builder for this argv and environment, for callers who start it themselves. */
    public ProcessBuilder processBuilder() {
        ProcessBuilder builder = new ProcessBuilder(argv);
        if (environment != null) {
            builder.environment().clear();
            builder.environment().putAll(environment);
        }
        return builder;
    }

    /**
     * Runs to completion and returns the result whatever the exit status. On timeout the
     * process and its descendants are killed and the result says {@code timedOut}.
     * Throws UncheckedIOException only if the process cannot be started.
     */
    public CommandResult exec() {
        Path stdout = null;
        Path stderr = null;
        Path stdin = null;
        try {
            stdout = Files.createTempFile("mounter-cmd-", ".out");
            stderr = Files.createTempFile("mounter-cmd-", ".err");
            stdin = Files.createTempFile("mounter-cmd-", ".in");
            Files.write(stdin, input);
            return execWith(stdin.toFile(), stdout, stderr);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run `" + render(argv) + "`", e);
        } finally {
            deleteQuietly(stdout);
            deleteQuietly(stderr);
            deleteQuietly(stdin);
        }
    }

    /** Runs to completion; throws {@link CommandFailedException} unless it exited 0 in time. */
    public CommandResult run() {
        return exec().requireSuccess();
    }

    private CommandResult execWith(File stdin, Path stdout, Path stderr) throws IOException {
        long start = System.nanoTime();
        Process process = processBuilder()
                .redirectInput(stdin)
                .redirectOutput(Redirect.to(stdout.toFile()))
                .redirectError(Redirect.to(stderr.toFile()))
                .start();
        boolean finished = awaitQuietly(process, timeout);
        if (!finished) {
            Processes.killTree(process.toHandle());
            awaitQuietly(process, Duration.ofSeconds(5));
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        return new CommandResult(argv, finished ? process.exitValue() : -1,
                Files.readString(stdout), Files.readString(stderr), !finished, elapsed);
    }

    private static boolean awaitQuietly(Process process, Duration limit) {
        try {
            return process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a leftover temp file is harmless
            }
        }
    }

    /** argv as a shell-like string for messages (not for execution). */
    static String render(List<String> argv) {
        return argv.stream()
                .map(arg -> arg.isEmpty() || arg.matches(".*[\\s'\"$`\\\\].*")
                        ? "'" + arg.replace("'", "'\\''") + "'"
                        : arg)
                .collect(Collectors.joining(" "));
    }

    @Override
    public String toString() {
        return render(argv);
    }
}
