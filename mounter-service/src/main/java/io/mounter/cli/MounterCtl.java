package io.mounter.cli;

import io.mounter.Version;
import io.mounter.client.MounterClient;
import io.mounter.client.RequestFailedException;
import io.mounter.linux.SyscallException;
import io.mounter.protocol.MountEntry;
import io.mounter.protocol.Reply;
import io.mounter.protocol.Request;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * mounterctl: asks mounterd to mount, unmount, report. Exit codes follow mount(8): 0 done,
 * 1 bad usage, 32 mount failure (mounterd unreachable included), or the helper's own.
 */
@Command(name = "mounterctl", mixinStandardHelpOptions = true, versionProvider = Version.Provider.class,
        exitCodeOnInvalidInput = 1,
        subcommands = {MounterCtl.MountCommand.class, MounterCtl.UmountCommand.class, MounterCtl.ListCommand.class,
            MounterCtl.StatusCommand.class, MounterCtl.VersionCommand.class},
        description = "Talks to mounterd.")
public final class MounterCtl {
    static final int MOUNT_FAILURE = 32;
    private static final Duration REPLY_MARGIN = Duration.ofSeconds(30);

    public static void main(String[] args) {
        System.exit(new CommandLine(new MounterCtl()).execute(args));
    }

    /** The --socket option every subcommand takes. */
    static final class SocketOption {
        @Option(names = "--socket", paramLabel = "PATH", description = "mounterd's socket (default: $MOUNTER_SOCKET or "
                + MounterClient.DEFAULT_SOCKET + ")")
        String path = MounterClient.socketFromEnvironment();

        /** Sends one request; reports an unreachable mounterd and returns null. */
        Reply call(Request request, Duration timeout) {
            try (MounterClient client = MounterClient.connect(path, timeout)) {
                return client.call(request, -1);
            } catch (SyscallException e) {
                System.err.println("mounterctl: cannot reach mounterd at " + path + ": " + e.getMessage());
                return null;
            }
        }
    }

    @Command(name = "mount", exitCodeOnInvalidInput = 1,
            description = "Have mounterd run mount(8) in the mount container, the helper's mount landing on the host.")
    static final class MountCommand implements Callable<Integer> {
        @Mixin
        SocketOption socket;

        @Option(names = "-t", required = true, paramLabel = "TYPE", description = "Filesystem type, as for mount(8).")
        String fstype;

        @Option(names = "-o", paramLabel = "OPTIONS", description = "Options, as for mount(8).")
        String options;

        @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "60",
                description = "Kill the helper after this long and remove what it mounted. Default: ${DEFAULT-VALUE}")
        int timeoutSeconds;

        @Parameters(index = "0", paramLabel = "SOURCE")
        String source;

        @Parameters(index = "1", paramLabel = "TARGET")
        String target;

        @Override
        public Integer call() {
            if (timeoutSeconds < 1) {
                // mounterd reads 0 as its 60 s default and a negative one, as a u32, as its 10 min
                // cap, while this side would wait timeout + 30 s: it would give up first.
                System.err.println("mounterctl: --timeout must be at least 1 second");
                return 1;
            }
            Duration timeout = Duration.ofSeconds(timeoutSeconds);
            Reply reply = socket.call(new Request.RunMount(1, source, target, fstype, options, (int) timeout.toMillis()),
                    timeout.plus(REPLY_MARGIN));
            if (reply == null) {
                return MOUNT_FAILURE;
            }
            System.err.print(reply.output());
            if (reply.status() != 0) {
                System.err.println("mounterctl: mount " + target + ": " + reply.message());
                return MOUNT_FAILURE;
            }
            return reply.exitStatus();
        }
    }

    @Command(name = "umount", exitCodeOnInvalidInput = 1, description = "Unmount TARGET in the host namespace.")
    static final class UmountCommand implements Callable<Integer> {
        private static final int MNT_DETACH = 2;

        @Mixin
        SocketOption socket;

        @Option(names = {"-l", "--lazy"}, description = "Detach now, clean up when no longer busy (MNT_DETACH).")
        boolean lazy;

        @Parameters(index = "0", paramLabel = "TARGET")
        String target;

        @Override
        public Integer call() {
            Reply reply = socket.call(new Request.Umount(1, target, lazy ? MNT_DETACH : 0), Duration.ofSeconds(30));
            if (reply == null) {
                return MOUNT_FAILURE;
            }
            if (reply.status() != 0) {
                System.err.println("mounterctl: umount " + target + ": " + reply.message());
                return MOUNT_FAILURE;
            }
            return 0;
        }
    }

    @Command(name = "list", exitCodeOnInvalidInput = 1, description = "List the mounts mounterd made.")
    static final class ListCommand implements Callable<Integer> {
        @Mixin
        SocketOption socket;

        @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table",
                description = "table or json. Default: ${DEFAULT-VALUE}")
        OutputFormat output;

        @Override
        public Integer call() {
            List<MountEntry> entries;
            try (MounterClient client = MounterClient.connect(socket.path, Duration.ofSeconds(10))) {
                entries = client.list();
            } catch (SyscallException e) {
                System.err.println("mounterctl: cannot reach mounterd at " + socket.path + ": " + e.getMessage());
                return MOUNT_FAILURE;
            } catch (RequestFailedException e) {
                System.err.println("mounterctl: " + e.getMessage());
                return 1;
            }
            System.out.print(output == OutputFormat.json ? MountListing.json(entries) : MountListing.table(entries));
            return 0;
        }
    }

    @Command(name = "status", exitCodeOnInvalidInput = 1,
            description = "Report mounterd's health; exits 0 only when it answers (a liveness probe).")
    static final class StatusCommand implements Callable<Integer> {
        @Mixin
        SocketOption socket;

        @Override
        public Integer call() {
            Reply reply = socket.call(new Request.Status(1), Duration.ofSeconds(5));
            if (reply == null) {
                return 1;
            }
            (reply.status() == 0 ? System.out : System.err).println(reply.message());
            return reply.status() == 0 ? 0 : 1;
        }
    }

    @Command(name = "version", description = "Print the version.")
    static final class VersionCommand implements Callable<Integer> {
        @Override
        public Integer call() {
            System.out.println(new Version.Provider().getVersion()[0]);
            return 0;
        }
    }

    enum OutputFormat { table, json }
}
