package io.mounter.node;

import io.mounter.client.MounterClient;
import io.mounter.protocol.Request;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The benchmark of {@code ./run bench}, every figure measured side by side in one run on one
 * simulated node: a tmpfs mount+umount pair forwarded by the shim through mounterd against
 * direct mount(2), {@code nsenter} and {@code docker exec} per call; pairs per second with
 * 1, 8 and 32 concurrent clients; reading through a bindfs and a glusterfs mount mounterd
 * made against the same filesystem mounted natively; mounterd's start-to-ready time and
 * resident memory with and without AppCDS (training the archives first). Prints the tables
 * and writes them to the file named by the first argument (docs/benchmarks.md).
 */
public final class MountBenchmark {
    private static final int PAIRS = 2000;
    private static final int NSENTER_PAIRS = 200;
    /** Runs of each way, taking turns; the tables show the run with the middle median. */
    private static final int LATENCY_RUNS = 5;
    private static final int DOCKER_PAIRS = 20;
    private static final int[] CLIENTS = {1, 8, 32};
    private static final int THROUGHPUT_SECONDS = 5;
    private static final int STARTS = 7;
    private static final Duration IDLE = Duration.ofSeconds(2);
    /** The launcher's flags before this benchmark tuned them: the heap committed up to -Xmx at once. */
    private static final String UNTUNED_JAVA_OPTS =
            "-Xmx32m -Xss512k -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData";
    private static final Pattern LATENCY = Pattern.compile("pairs=(\\d+) median_us=([\\d.]+) p99_us=([\\d.]+)");
    private static final Pattern THROUGHPUT = Pattern.compile(
            "clients=(\\d+) seconds=([\\d.]+) pairs=(\\d+) pairs_per_s=(\\d+) eagain=(\\d+) errors=(\\d+)");

    private MountBenchmark() {
    }

    record Latency(String way, int pairs, double medianUs, double p99Us, String note) {
    }

    record Throughput(int clients, double forwardedPerSecond, long forwardedEagain, double directPerSecond) {
    }

    record Startup(String way, double readyMs, double idleRssMib, double loadedRssMib, int starts) {
    }

    /**
     * {@code [OUTPUT]} runs every part and writes the document to OUTPUT (docs/benchmarks.md);
     * {@code --only PART} (latency, throughput, data, startup) runs one part and prints its
     * table only, for a quick look while tuning.
     */
    public static void main(String[] args) throws IOException {
        boolean onePart = args.length == 2 && args[0].equals("--only");
        if (!onePart || args[1].equals("startup")) {
            trainAppCds();
        }
        if (onePart) {
            try (MounterNode mounter = startNode()) {
                System.out.print(part(mounter, args[1]));
            }
            return;
        }
        Path output = Path.of(args.length > 0 ? args[0] : "docs/benchmarks.md");
        String document;
        try (MounterNode mounter = startNode()) {
            document = measure(mounter);
        }
        System.out.print(document);
        Files.writeString(output, document);
        System.out.println("written to " + output);
    }

    private static MounterNode startNode() {
        return MounterNode.start(List.of("--allow-fstype", "tmpfs"));
    }

    /**
     * Makes the AppCDS archives on a node of their own. The container's root is an overlay
     * over the host's, and an overlay need not see a file replaced below it after it looked
     * at the old one (the launcher of the node's own mounterd looks for lib/mounterd.jsa):
     * the nodes that measure start after the archives are in place.
     */
    private static void trainAppCds() {
        System.out.println("training the AppCDS archives");
        try (MounterNode trainer = startNode()) {
            AppCdsTraining.train(trainer);
        }
    }

    private static String part(MounterNode mounter, String name) {
        return switch (name) {
            case "latency" -> latencyTable(latencies(mounter));
            case "throughput" -> throughputTable(throughputs(mounter));
            case "data" -> DataPathBenchmark.table(reads(mounter));
            case "startup" -> startupTable(startups(mounter, startupWays()));
            default -> throw new IllegalArgumentException("no part " + name
                    + "; the parts are latency, throughput, data, startup");
        };
    }

    private static String measure(MounterNode mounter) throws IOException {
        System.out.println("start-up, with and without AppCDS");
        List<Startup> startups = startups(mounter, startupWays());
        System.out.println("latency of one pair");
        List<Latency> latencies = latencies(mounter);
        System.out.println("throughput");
        List<Throughput> throughputs = throughputs(mounter);
        System.out.println("data path");
        return document(latencies, throughputs, reads(mounter), startups);
    }

    private static Map<String, Map<String, String>> startupWays() {
        Map<String, Map<String, String>> ways = new LinkedHashMap<>();
        ways.put("untuned flags, no AppCDS", Map.of("MOUNTER_JAVA_OPTS", UNTUNED_JAVA_OPTS, "MOUNTER_CDS_ARCHIVE", ""));
        ways.put("launcher flags, no AppCDS", Map.of("MOUNTER_CDS_ARCHIVE", ""));
        ways.put("launcher flags + AppCDS (lib/mounterd.jsa)", Map.of()); // the last: the aims read it
        return ways;
    }

    private static List<Throughput> throughputs(MounterNode mounter) {
        List<Throughput> throughputs = new ArrayList<>();
        for (int clients : CLIENTS) {
            throughputs.add(throughput(mounter, clients));
        }
        return throughputs;
    }

    private static List<DataPathBenchmark.Figures> reads(MounterNode mounter) {
        DataPathBenchmark data = new DataPathBenchmark(mounter);
        return List.of(data.bindfs(), data.glusterfs());
    }

    // ---- one pair ----------------------------------------------------------------------------

    private static List<Latency> latencies(MounterNode mounter) {
        Path target = mounter.node().newVolumeDir("bench");
        String bench = bench(mounter);
        // The shim forwards tmpfs only when told to; its umount prefix comes from the
        // container's /etc/mounter/preload.conf, which covers the node's kubelet dir.
        Command forwarded = mounter.container().command(List.of(bench, "call", Integer.toString(PAIRS),
                target.toString()), Map.of("MOUNTER_FORWARD_FSTYPES", "tmpfs"));
        Command direct = mounter.host().command(List.of(bench, "call", Integer.toString(PAIRS), target.toString()));
        Command nsenter = Command.of(bench, "nsenter", Integer.toString(NSENTER_PAIRS), target.toString(),
                Long.toString(mounter.host().pid()));
        Map<String, Command> ways = new LinkedHashMap<>();
        ways.put("forwarded: shim -> mounterd -> host ns", forwarded);
        ways.put("direct mount(2) in the host ns (C)", direct);
        ways.put("nsenter -t PID -m mount, per call", nsenter);
        Map<String, List<Latency>> runs = new LinkedHashMap<>();
        ways.keySet().forEach(way -> runs.put(way, new ArrayList<>()));
        for (int run = 0; run < LATENCY_RUNS; run++) { // the ways take turns: drift falls on all alike
            ways.forEach((way, command) -> runs.get(way).add(latency(way, command)));
        }
        List<Latency> latencies = new ArrayList<>();
        runs.forEach((way, each) -> latencies.add(middle(each)));
        latencies.add(DockerExec.measure(DOCKER_PAIRS));
        return latencies;
    }

    private static Latency latency(String way, Command command) {
        Matcher m = parse(LATENCY, command.withTimeout(Duration.ofMinutes(5)).run().stdout(), command);
        return new Latency(way, Integer.parseInt(m.group(1)), Double.parseDouble(m.group(2)),
                Double.parseDouble(m.group(3)), "");
    }

    /** The run with the middle median, with the other runs' medians as its note. */
    private static Latency middle(List<Latency> runs) {
        List<Latency> sorted = runs.stream().sorted(java.util.Comparator.comparingDouble(Latency::medianUs)).toList();
        Latency middle = sorted.get(sorted.size() / 2);
        String all = sorted.stream().map(r -> String.format("%.0f", r.medianUs()))
                .collect(java.util.stream.Collectors.joining(", "));
        return new Latency(middle.way(), middle.pairs(), middle.medianUs(), middle.p99Us(), all);
    }

    // ---- concurrent clients ------------------------------------------------------------------

    private static Throughput throughput(MounterNode mounter, int clients) {
        String bench = bench(mounter);
        List<String> forwardedArgv = List.of(bench, "parallel", Integer.toString(clients),
                Integer.toString(THROUGHPUT_SECONDS), mounter.node().newVolumeDir("parallel-" + clients).toString());
        List<String> directArgv = List.of(bench, "parallel", Integer.toString(clients),
                Integer.toString(THROUGHPUT_SECONDS), mounter.node().newVolumeDir("direct-" + clients).toString());
        Command forwarded = mounter.container().command(forwardedArgv, Map.of("MOUNTER_FORWARD_FSTYPES", "tmpfs"));
        Command direct = mounter.host().command(directArgv);
        Matcher f = parse(THROUGHPUT, forwarded.withTimeout(Duration.ofMinutes(2)).run().stdout(), forwarded);
        Matcher d = parse(THROUGHPUT, direct.withTimeout(Duration.ofMinutes(2)).run().stdout(), direct);
        return new Throughput(clients, Double.parseDouble(f.group(4)), Long.parseLong(f.group(5)),
                Double.parseDouble(d.group(4)));
    }

    // ---- start-up ----------------------------------------------------------------------------

    /**
     * Starts a second mounterd in the container STARTS times each way, the ways taking turns
     * so that other load on the machine falls on all alike: time until its first LIST is
     * answered (launcher, JVM and mounterd's own start), resident memory after two idle
     * seconds, and again after 2,000 tmpfs pairs.
     */
    private static List<Startup> startups(MounterNode mounter, Map<String, Map<String, String>> ways) {
        Path target = mounter.node().newVolumeDir("startup");
        Map<String, List<double[]>> samples = new LinkedHashMap<>();
        ways.keySet().forEach(way -> samples.put(way, new ArrayList<>()));
        for (int i = 0; i < STARTS; i++) {
            for (Map.Entry<String, Map<String, String>> way : ways.entrySet()) {
                samples.get(way.getKey()).add(startOnce(mounter, way.getValue(), target));
            }
        }
        List<Startup> figures = new ArrayList<>();
        for (Map.Entry<String, List<double[]>> way : samples.entrySet()) {
            List<double[]> runs = way.getValue();
            figures.add(new Startup(way.getKey(), median(runs.stream().map(r -> r[0]).toList()),
                    median(runs.stream().map(r -> r[1]).toList()), median(runs.stream().map(r -> r[2]).toList()),
                    runs.size()));
        }
        return figures;
    }

    /** One start: {ready ms, idle RSS MiB, RSS MiB after 2,000 pairs}. */
    private static double[] startOnce(MounterNode mounter, Map<String, String> environment, Path target) {
        try (MounterdLaunch launch = MounterdLaunch.start(mounter, "startup", environment,
                List.of("--allow-fstype", "tmpfs"))) {
            double ready = launch.readyAfter().toNanos() / 1e6;
            Processes.sleep(IDLE);
            double idle = launch.resources().rssMib();
            try (MounterClient client = launch.client()) {
                for (int pair = 0; pair < PAIRS; pair++) {
                    client.call(new Request.Mount(client.nextId(), "tmpfs", target.toString(), "tmpfs", 0,
                            "size=1m", -1), -1);
                    client.call(new Request.Umount(client.nextId(), target.toString(), 0), -1);
                }
            }
            Processes.sleep(IDLE);
            return new double[] {ready, idle, launch.resources().rssMib()};
        }
    }

    // ---- the document ------------------------------------------------------------------------

    static String latencyTable(List<Latency> figures) {
        double forwarded = figures.get(0).medianUs();
        StringBuilder out = new StringBuilder();
        out.append("| tmpfs mount+umount pair | pairs | median (us) | p99 (us) | median vs forwarded "
                + "| medians of the " + LATENCY_RUNS + " runs (us) |\n");
        out.append("|---|---:|---:|---:|---:|---:|\n");
        for (Latency f : figures) {
            if (f.pairs() == 0) {
                out.append(String.format("| %s | - | - | - | %s | - |%n", f.way(), f.note()));
            } else {
                out.append(String.format("| %s | %d | %.1f | %.1f | %.2fx | %s |%n", f.way(), f.pairs(),
                        f.medianUs(), f.p99Us(), f.medianUs() / forwarded, f.note().isEmpty() ? "one run" : f.note()));
            }
        }
        return out.toString();
    }

    static String throughputTable(List<Throughput> figures) {
        StringBuilder out = new StringBuilder();
        out.append("| concurrent clients | forwarded (pairs/s) | EAGAIN retried | direct mount(2) (pairs/s) "
                + "| forwarded vs direct |\n|---:|---:|---:|---:|---:|\n");
        for (Throughput f : figures) {
            out.append(String.format("| %d | %.0f | %d | %.0f | %.2f |%n", f.clients(), f.forwardedPerSecond(),
                    f.forwardedEagain(), f.directPerSecond(), f.forwardedPerSecond() / f.directPerSecond()));
        }
        return out.toString();
    }

    static String startupTable(List<Startup> figures) {
        StringBuilder out = new StringBuilder();
        out.append("| mounterd start | starts | start to first answer, median (ms) | RSS idle (MiB) "
                + "| RSS after 2,000 pairs (MiB) |\n|---|---:|---:|---:|---:|\n");
        for (Startup f : figures) {
            out.append(String.format("| %s | %d | %.0f | %.1f | %.1f |%n", f.way(), f.starts(), f.readyMs(),
                    f.idleRssMib(), f.loadedRssMib()));
        }
        return out.toString();
    }

    private static String document(List<Latency> latencies, List<Throughput> throughputs,
                                   List<DataPathBenchmark.Figures> reads, List<Startup> startups) throws IOException {
        String kernel = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        Throughput most = throughputs.get(throughputs.size() - 1);
        Startup tuned = startups.get(startups.size() - 1);
        double worstRatio = reads.stream().mapToDouble(DataPathBenchmark.Figures::ratio).min().orElse(0);
        String aims = String.join("\n", List.of(
                aim("forwarded pair median < 250 us", latencies.get(0).medianUs() < 250,
                        String.format("%.0f us", latencies.get(0).medianUs())),
                aim(">= 3,000 pairs/s with 32 clients", most.forwardedPerSecond() >= 3000,
                        String.format("%.0f pairs/s", most.forwardedPerSecond())),
                aim("data path ratio >= 0.97", worstRatio >= 0.97, String.format("lowest %.3f", worstRatio)),
                aim("ready < 500 ms", tuned.readyMs() < 500, String.format("%.0f ms with AppCDS", tuned.readyMs())),
                aim("idle RSS < 64 MiB", tuned.idleRssMib() < 64, String.format("%.1f MiB", tuned.idleRssMib()))));
        return """
                # Benchmarks

                Produced by `./run bench` (`io.mounter.node.MountBenchmark`): every figure below comes
                from one run on one simulated node, each way measured side by side with the others on the
                same machine. No test asserts a timing; the aims are checked here and reported as met or
                not.

                ## Aims

                %s

                ## One tmpfs mount+umount pair

                The forwarded pair runs `dist/libexec/mount-bench call` inside the mount container,
                where the shim in `/etc/ld.so.preload` forwards both calls to mounterd (one connection
                per call, as always), which mounts in the host namespace from a pinned thread. The
                direct pair runs the same program inside the host namespace without the shim. The
                nsenter pair starts `nsenter -t PID -m mount` and `... umount` as processes per call,
                the usual alternative; `docker exec` the one a runtime offers. The first tenth of the
                pairs warm up unmeasured. Each way runs five times, the ways taking turns (a single
                run moved by 15%% from one to the next here); the row is the run with the middle
                median.

                %s
                ## Concurrent clients

                `mount-bench parallel N`: N processes, each doing pairs on a target of its own for %d s,
                through the shim and mounterd (forwarded) or with mount(2) in the host namespace
                (direct). A call that mounterd sheds with EAGAIN is retried (after 100 us, doubling up to
                3.2 ms) and counted: mounterd handles at most `--max-requests` requests at once (by
                default its 16 connection threads less 2) and answers the rest EAGAIN at once. On 2
                cores the clients, mounterd and the kernel share the CPUs.

                %s
                ## The data path

                mounterd only makes the mount; reads go from the kernel to the FUSE daemon in the mount
                container as they would for a native mount. Each round mounts both ways afresh: a
                mount made through mounterd (the helper run in the container, the shim forwarding
                its mount) and the same filesystem mounted natively in the host namespace. It then
                reads %d files of 256 MiB once each through both mounts on the host (`mount-bench
                read-pair`): 16 MiB through one mount, then 16 MiB through the other, in 1 MiB
                blocks, which goes first alternating, each side's turns timed apart; then it
                unmounts both. The page cache cannot be dropped (that needs a write to
                /proc/sys/vm/drop_caches), so the backing files (bindfs' source directory,
                gluster's brick) stay cached for both alike, while each fresh FUSE connection starts
                with nothing cached: the figures are the FUSE path, not the disk. Other load on this
                shared 2-core machine moves a single read by tens of percent and drifts over a run;
                reads interleaved this finely see the same load. The ratio is the median of the
                pairs' ratios. %d rounds after a warm-up round. Earlier forms of this benchmark (one
                whole read after the other, the ratio of medians) moved between 0.94 and 1.09 from
                run to run, for either filesystem.

                %s
                ## Start-up and memory

                A second mounterd started in the mount container through `dist/bin/mounterd` (nsenter,
                the sh launcher, the JVM), the three ways taking turns: time until its first LIST is
                answered, polled every millisecond; resident memory (VmRSS) after %d idle seconds,
                and again after 2,000 tmpfs pairs. AppCDS: `AppCdsTraining` first starts mounterd,
                on a node of its own, with `MOUNTER_CDS_DUMP` (the JVM's
                `-XX:ArchiveClassesAtExit`), sends it the requests of a node, and stops it with
                SIGTERM; the launcher then maps `dist/lib/mounterd.jsa` with `-Xshare:auto`, so a
                stale archive (after a rebuild of the jars) costs one warning line, not the start.
                picocli's classes are Java 5 class files, which CDS cannot archive, and jnr-ffi's
                generated call stubs are made at run time; both stay outside the archive.

                %s
                Machine: %d cores, kernel %s, %s. Other work on the machine during the run shows in the
                figures; run it again on an idle machine for cleaner ones.
                """.formatted(aims, latencyTable(latencies), THROUGHPUT_SECONDS, throughputTable(throughputs),
                DataPathBenchmark.FILES, DataPathBenchmark.ROUNDS, DataPathBenchmark.table(reads), IDLE.toSeconds(),
                startupTable(startups), Runtime.getRuntime().availableProcessors(), kernel, Instant.now());
    }

    private static String aim(String what, boolean met, String measured) {
        return "- " + what + ": " + (met ? "met" : "**not met**") + " (" + measured + ")";
    }

    // ---- helpers -----------------------------------------------------------------------------

    private static String bench(MounterNode mounter) {
        return mounter.dist().root().resolve("libexec/mount-bench").toString();
    }

    private static Matcher parse(Pattern pattern, String out, Command command) {
        Matcher m = pattern.matcher(out);
        if (!m.find()) {
            throw new IllegalStateException("unexpected output of " + command + ": " + out);
        }
        return m;
    }

    private static double median(List<Double> values) {
        return values.stream().sorted().toList().get(values.size() / 2);
    }
}
