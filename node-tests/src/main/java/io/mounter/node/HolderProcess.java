package io.mounter.node;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A process that keeps a namespace (and what runs in it) alive for exactly as long as the
 * JVM holds its stdin pipe.
 *
 * <p>The holder is {@code sh -c SETUP}: the setup script builds the namespace, reads its own
 * pid as the JVM sees it (from /proc/self/stat, before any new /proc is mounted), and ends
 * with {@code exec perl -e "$hold" -- "$pid" [PATH=CONTENT...]}. That hold program writes the
 * given files, prints {@code ready <pid>}, and reads stdin until EOF. When the JVM closes the
 * pipe, or dies and the kernel closes it, the holder exits; if it is the init of a PID
 * namespace, the kernel then SIGKILLs everything else in that namespace. So nothing this
 * fixture starts outlives the JVM.
 *
 * <p>Why perl and not a shell loop: a PID namespace's init inherits every orphan (daemonized
 * FUSE helpers, brick processes). dash always catches SIGCHLD, and with {@code trap '' CHLD}
 * its {@code read} builtin fails on the interrupted read(2), so the init exited as soon as
 * an orphan died (measured); without the trap, orphans stay zombies. perl sets SIGCHLD to
 * SIG_IGN, so the kernel reaps orphans itself and no signal interrupts the read.
 */
final class HolderProcess implements AutoCloseable {
    private static final Duration EXIT_GRACE = Duration.ofSeconds(5);

    /**
     * Args: the pid to report, then files to write as PATH=CONTENT, and optionally
     * {@code --end-mount-namespace-unless=mnt:[INODE]}.
     *
     * <p>Files are written last, by the holder itself, so that no program is exec'd after
     * them: an /etc/ld.so.preload written here never loads into the holder.
     *
     * <p>The option is for a holder of a mount namespace without a PID namespace of its own
     * (the host): a FUSE daemon started there keeps the namespace, and so its own mount,
     * alive after the JVM dies. At EOF the holder SIGKILLs every other process in its mount
     * namespace, unless that namespace is the one named (the machine's own), which guards
     * against ever doing this outside a private namespace.
     */
    private static final String HOLD_PROGRAM = """
            $SIG{CHLD} = "IGNORE";
            my $pid = shift @ARGV;
            my $machine_ns;
            for my $arg (@ARGV) {
                if ($arg =~ /^--end-mount-namespace-unless=(.+)$/) { $machine_ns = $1; next; }
                my ($path, $content) = split(/=/, $arg, 2);
                open(my $file, ">", $path) or die "cannot write $path: $!\\n";
                print $file $content or die "cannot write $path: $!\\n";
                close($file) or die "cannot write $path: $!\\n";
            }
            $| = 1;
            print "ready $pid\\n";
            1 while <STDIN>;
            exit 0 unless defined $machine_ns;
            my $own_ns = readlink("/proc/self/ns/mnt");
            exit 0 if !defined $own_ns || $own_ns eq $machine_ns;
            for my $dir (glob("/proc/[0-9]*")) {
                my ($other) = $dir =~ m{(\\d+)$};
                next if $other == $$;
                my $ns = readlink("$dir/ns/mnt");
                kill("KILL", $other) if defined $ns && $ns eq $own_ns;
            }
            """;

    private final String name;
    private final Process process;
    private final ProcessHandle holder;
    private final Path log;
    private boolean closed;

    private HolderProcess(String name, Process process, ProcessHandle holder, Path log) {
        this.name = name;
        this.process = process;
        this.holder = holder;
        this.log = log;
    }

    /**
     * Runs {@code wrapper + sh -c SETUP} with stderr appended to {@code log} and waits for the
     * ready line. SETUP sees {@code $hold} (the hold program) and {@code setupArgs} as $1...;
     * it must end with {@code exec perl -e "$hold" -- "$pid" ...}. Throws
     * IllegalStateException with the log's content if the holder exits or stays silent.
     */
    static HolderProcess start(String name, List<String> wrapper, String setup, List<String> setupArgs,
                               Path log, Duration readyTimeout) {
        List<String> argv = new ArrayList<>(wrapper);
        argv.addAll(List.of("sh", "-c", "hold=$1; shift\n" + setup, name.replace(' ', '-'), HOLD_PROGRAM));
        argv.addAll(setupArgs);
        Process process;
        try {
            process = new ProcessBuilder(argv).redirectError(Redirect.appendTo(log.toFile())).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the " + name + " holder `" + Command.render(argv) + "`", e);
        }
        try {
            long pid = awaitReadyPid(process, readyTimeout);
            ProcessHandle holder = ProcessHandle.of(pid)
                    .orElseThrow(() -> new IllegalStateException("pid " + pid + " vanished"));
            return new HolderProcess(name, process, holder, log);
        } catch (RuntimeException e) {
            Processes.killTree(process.toHandle());
            throw new IllegalStateException("the " + name + " holder did not get ready: " + e.getMessage()
                    + "\nsetup script:\n" + setup + "log " + log + ":\n" + readQuietly(log), e);
        }
    }

    private static long awaitReadyPid(Process process, Duration timeout) {
        InputStream stdout = process.getInputStream();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (true) {
                // poll instead of blocking, so that a silent holder cannot hang the caller
                if (stdout.available() > 0) {
                    int b = stdout.read();
                    if (b == '\n') {
                        return parseReadyLine(line.toString(StandardCharsets.UTF_8));
                    }
                    line.write(b);
                } else if (!process.isAlive()) {
                    throw new IllegalStateException("exited with status " + process.exitValue()
                            + " before ready; stdout: " + line.toString(StandardCharsets.UTF_8));
                } else if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("no ready line within " + timeout.toMillis() + " ms");
                } else {
                    Processes.sleep(Duration.ofMillis(5));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the holder's stdout: " + e, e);
        }
    }

    private static long parseReadyLine(String line) {
        String[] words = line.strip().split(" ");
        if (words.length != 2 || !words[0].equals("ready")) {
            throw new IllegalStateException("expected `ready <pid>`, got `" + line + "`");
        }
        return Long.parseLong(words[1]);
    }

    /** The holder's pid as the JVM sees it (for a PID namespace: its init). */
    long pid() {
        return holder.pid();
    }

    boolean isAlive() {
        return !closed && Processes.isRunning(holder);
    }

    Path log() {
        return log;
    }

    String logText() {
        return readQuietly(log);
    }

    /**
     * Closes the pipe so the holder ends by itself; after {@link #EXIT_GRACE} SIGKILLs the
     * holder and the process the JVM started. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            process.getOutputStream().close();
        } catch (IOException ignored) {
            // the holder is gone already
        }
        if (!Processes.waitForExit(holder, EXIT_GRACE)) {
            holder.destroyForcibly();
            Processes.waitForExit(holder, EXIT_GRACE);
        }
        if (!Processes.waitForExit(process.toHandle(), EXIT_GRACE)) {
            Processes.killTree(process.toHandle());
        }
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (Processes.isRunning(holder)) {
            throw new IllegalStateException("the " + name + " holder " + holder.pid() + " survived SIGKILL");
        }
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    @Override
    public String toString() {
        return name + " holder " + holder.pid();
    }
}
