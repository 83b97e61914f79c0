package io.mounter.daemon;

import io.mounter.policy.MountPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The policy flags of mounterd. A policy file holds the same flags, one per line
 * ({@code #} starts a comment), so a file and a command line read alike.
 */
public final class PolicySettings {
    @Option(names = "--allow-fstype", paramLabel = "TYPE", description = {"Allow this fstype (repeatable).",
        "Defaults (unless --no-default-policy): [" + MountPolicy.DEFAULT_FSTYPE_LIST + "]"})
    List<String> fstypes = new ArrayList<>();

    @Option(names = "--allow-target-prefix", paramLabel = "DIR",
            description = "Allow targets strictly below this directory (repeatable).")
    List<String> prefixes = new ArrayList<>();

    @Option(names = "--allow-uid", paramLabel = "UID", description = "Allow peers with this uid (repeatable; default 0).")
    List<Integer> uids = new ArrayList<>();

    @Option(names = "--no-default-policy",
            description = "Start from an empty policy instead of the defaults (FUSE helpers, kubelet pod and plugin dirs, uid 0).")
    boolean noDefaults;

    @Option(names = "--policy", paramLabel = "FILE", description = "Load policy flags from FILE, one per line.")
    Path file;

    /** The policy these flags (and the file they name) describe. */
    public MountPolicy toPolicy() {
        PolicySettings fromFile = file == null ? new PolicySettings() : load(file);
        boolean defaults = !noDefaults && !fromFile.noDefaults;
        Set<String> allFstypes = new LinkedHashSet<>(defaults ? MountPolicy.DEFAULT_FSTYPES : Set.of());
        allFstypes.addAll(fromFile.fstypes);
        allFstypes.addAll(fstypes);
        List<String> allPrefixes = new ArrayList<>(defaults ? MountPolicy.DEFAULT_PREFIXES : List.of());
        allPrefixes.addAll(fromFile.prefixes);
        allPrefixes.addAll(prefixes);
        Set<Integer> allUids = new LinkedHashSet<>(fromFile.uids);
        allUids.addAll(uids);
        if (allUids.isEmpty()) {
            allUids.add(0);
        }
        for (String prefix : allPrefixes) {
            if (!prefix.startsWith("/")) {
                throw new CommandLine.ParameterException(new CommandLine(this),
                        "--allow-target-prefix must be an absolute path: " + prefix);
            }
        }
        return new MountPolicy(allFstypes, allPrefixes, allUids);
    }

    static PolicySettings load(Path path) {
        List<String> args = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(path)) {
                String trimmed = line.strip();
                if (!trimmed.isEmpty() && !trimmed.startsWith("#")) {
                    // "--allow-fstype tmpfs" as on a command line; the value may hold spaces.
                    args.addAll(List.of(trimmed.split("\\s+", 2)));
                }
            }
        } catch (IOException e) {
            throw new CommandLine.ParameterException(new CommandLine(new PolicySettings()),
                    "cannot read policy file " + path + ": " + e.getMessage());
        }
        PolicySettings settings = new PolicySettings();
        CommandLine parser = new CommandLine(settings);
        parser.parseArgs(args.toArray(String[]::new));
        if (settings.file != null) {
            throw new CommandLine.ParameterException(parser, "a policy file may not name another (--policy)");
        }
        return settings;
    }
}
