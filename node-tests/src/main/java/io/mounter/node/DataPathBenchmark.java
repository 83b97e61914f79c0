package io.mounter.node;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads one 256 MiB file through a FUSE mount that mounterd made (helper and daemon in the
 * mount container, the mount in the host namespace) and through the same filesystem mounted
 * natively in the host namespace, for bindfs and glusterfs. mounterd is not on the data
 * path, so the two should read alike.
 *
 * <p>Method: the page cache cannot be dropped without writing /proc/sys/vm/drop_caches,
 * which a benchmark here must not. So the backing file (bindfs' source, gluster's brick) is
 * written once and stays in the page cache for both sides alike; each round mounts afresh
 * (a new FUSE connection has nothing cached), reads the file once in 1 MiB blocks with
 * {@code mount-bench read} on the host, and unmounts. After a warm-up round of each, rounds
 * alternate between the two ways, which one goes first alternating too; medians and ranges
 * are reported.
 */
final class DataPathBenchmark {
    static final int FILE_MIB = 256;
    private static final int ROUNDS = 11;
    private static final Pattern READ = Pattern.compile("bytes=(\\d+) seconds=([\\d.]+) mib_per_s=([\\d.]+)");

    /** Medians, and all the rounds' rates sorted (MiB/s). */
    record Figures(String filesystem, List<Double> forwarded, List<Double> natively) {
        double forwardedMibPerSecond() {
            return forwarded.get(forwarded.size() / 2);
        }

        double nativeMibPerSecond() {
            return natively.get(natively.size() / 2);
        }

        double ratio() {
            return forwardedMibPerSecond() / nativeMibPerSecond();
        }

        int rounds() {
            return forwarded.size();
        }
    }

    /** How one way mounts a fresh mount on {@code target}. */
    private interface Mounting {
        void mount(Path target);
    }

    private final MounterNode node;
    private final String bench;

    DataPathBenchmark(MounterNode node) {
        this.node = node;
        this.bench = node.dist().root().resolve("libexec/mount-bench").toString();
    }

    Figures bindfs() {
        Path source = node.node().newDirectory("bindfs-data");
        node.host().command(List.of("dd", "if=/dev/zero", "of=" + source.resolve("data"), "bs=1M",
                "count=" + FILE_MIB, "status=none")).withTimeout(Duration.ofMinutes(2)).run();
        return measure("bindfs",
                target -> node.container().run("bindfs", source.toString(), target.toString()),
                target -> node.host().run("bindfs", source.toString(), target.toString()));
    }

    Figures glusterfs() {
        GlusterVolume volume = node.node().gluster().createVolume("bench");
        Path writer = node.node().newVolumeDir("gluster-writer");
        node.host().run("mount", "-t", "glusterfs", volume.source(), writer.toString());
        try {
            node.host().command(List.of("dd", "if=/dev/zero", "of=" + writer.resolve("data"), "bs=1M",
                    "count=" + FILE_MIB, "status=none")).withTimeout(Duration.ofMinutes(5)).run();
        } finally {
            node.host().run("umount", writer.toString());
        }
        return measure("glusterfs",
                target -> node.container().run("mount", "-t", "glusterfs", volume.source(), target.toString()),
                target -> node.host().run("mount", "-t", "glusterfs", volume.source(), target.toString()));
    }

    /** A warm-up round of each way, then ROUNDS of each, which goes first alternating. */
    private Figures measure(String filesystem, Mounting forwarded, Mounting natively) {
        List<Double> forwardedRates = new ArrayList<>();
        List<Double> nativeRates = new ArrayList<>();
        readOnce(filesystem + "-forwarded", forwarded);
        readOnce(filesystem + "-native", natively);
        for (int round = 0; round < ROUNDS; round++) {
            if (round % 2 == 0) {
                forwardedRates.add(readOnce(filesystem + "-forwarded", forwarded));
                nativeRates.add(readOnce(filesystem + "-native", natively));
            } else {
                nativeRates.add(readOnce(filesystem + "-native", natively));
                forwardedRates.add(readOnce(filesystem + "-forwarded", forwarded));
            }
        }
        return new Figures(filesystem, sorted(forwardedRates), sorted(nativeRates));
    }

    /** Mounts afresh, reads the file once on the host, unmounts; MiB/s. */
    private double readOnce(String name, Mounting mounting) {
        Path target = node.node().newVolumeDir(name);
        mounting.mount(target);
        try {
            String out = node.host().command(List.of(bench, "read", target.resolve("data").toString()))
                    .withTimeout(Duration.ofMinutes(2)).run().stdout();
            Matcher m = READ.matcher(out);
            if (!m.find() || Long.parseLong(m.group(1)) != FILE_MIB * 1048576L) {
                throw new IllegalStateException("unexpected output of mount-bench read: " + out);
            }
            return Double.parseDouble(m.group(3));
        } finally {
            node.host().run("umount", target.toString());
        }
    }

    private static List<Double> sorted(List<Double> values) {
        return values.stream().sorted().toList();
    }

    static String table(List<Figures> figures) {
        StringBuilder out = new StringBuilder();
        out.append("| read of a 256 MiB file on the host | through mounterd's mount, median (range) MiB/s "
                + "| native mount, median (range) MiB/s | ratio of medians | rounds |\n|---|---:|---:|---:|---:|\n");
        for (Figures f : figures) {
            out.append(String.format("| %s | %.0f (%.0f-%.0f) | %.0f (%.0f-%.0f) | %.3f | %d |%n", f.filesystem(),
                    f.forwardedMibPerSecond(), f.forwarded().get(0), f.forwarded().get(f.rounds() - 1),
                    f.nativeMibPerSecond(), f.natively().get(0), f.natively().get(f.rounds() - 1), f.ratio(),
                    f.rounds()));
        }
        return out.toString();
    }
}
