package io.mounter.cli;

import io.mounter.Version;
import io.mounter.client.MounterClient;
import io.mounter.client.RequestFailedException;
import io.mounter.linux.SyscallException;
import io.mounter.protocol.MountEntry;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** mounterctl: asks mounterd what it holds. */
@Command(name = "mounterctl", mixinStandardHelpOptions = true, versionProvider = Version.Provider.class,
        subcommands = {MounterCtl.ListCommand.class, MounterCtl.VersionCommand.class},
        description = "Talks to mounterd.")
public final class MounterCtl {
    /** Exit status when mounterd cannot be reached. */
    static final int UNREACHABLE = 2;

    public static void main(String[] args) {
        System.exit(new CommandLine(new MounterCtl()).execute(args));
    }

    @Command(name = "list", description = "List the mounts mounterd made.")
    static final class ListCommand implements Callable<Integer> {
        @Option(names = "--socket", paramLabel = "PATH", description = "mounterd's socket (default: $MOUNTER_SOCKET or "
                + MounterClient.DEFAULT_SOCKET + ")")
        String socket = MounterClient.socketFromEnvironment();

        @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table",
                description = "table or json. Default: ${DEFAULT-VALUE}")
        OutputFormat output;

        @Override
        public Integer call() {
            java.util.List<MountEntry> entries;
            try (MounterClient client = MounterClient.connect(socket, Duration.ofSeconds(10))) {
                entries = client.list();
            } catch (SyscallException e) {
                System.err.println("mounterctl: cannot reach mounterd at " + socket + ": " + e.getMessage());
                return UNREACHABLE;
            } catch (RequestFailedException e) {
                System.err.println("mounterctl: " + e.getMessage());
                return 1;
            }
            System.out.print(output == OutputFormat.json ? MountListing.json(entries) : MountListing.table(entries));
            return 0;
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
