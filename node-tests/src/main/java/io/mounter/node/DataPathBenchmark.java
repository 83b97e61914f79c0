package io.mounter.node;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads 256 MiB files through a FUSE mount that mounterd made (helper and daemon in the
 * mount container, the mount in the host namespace) and through the same filesystem mounted
 * natively in the host namespace, for bindfs and glusterfs. mounterd is not on the data
 * path, so the two should read alike.
 *
 * <p>Method: the page cache cannot be dropped without writing /proc/sys/vm/drop_caches,
 * which a benchmark here must not. So the backing files (bindfs' source, gluster's brick)
 * are written once and stay in the page cache for both sides alike. Each round mounts both
 * ways afresh (a new FUSE connection has nothing cached) and reads {@value #FILES} files once
 * each through both mounts with {@code mount-bench read-pair} on the host: 16 MiB through
 * one, then 16 MiB through the other, in 1 MiB blocks, which goes first alternating, each
 * side's turns timed apart. Other load on this shared machine moves a single read by tens of
 * percent and drifts over a run; reads interleaved this finely see the same load. The ratio
 * reported is the median of all pairs' ratios. A warm-up round goes first, unmeasured.
 */
final class DataPathBenchmark {
    static final int FILE_MIB = 256;
    static final int FILES = 8;
    static final int ROUNDS = 8;
    private static final Pattern READ_PAIR = Pattern.compile(
            "a_bytes=(\\d+) b_bytes=(\\d+) a_mib_per_s=([\\d.]+) b_mib_per_s=([\\d.]+)");

    /** Every read's rate (MiB/s) each way and each pair's ratio forwarded/native, sorted. */
    record Figures(String filesystem, List<Double> forwarded, List<Double> natively, List<Double> ratios) {
        double forwardedMibPerSecond() {
            return forwarded.get(forwarded.size() / 2);
        }

        double nativeMibPerSecond() {
            return natively.get(natively.size() / 2);
        }

        /** The median of the pairs' ratios. */
        double ratio() {
            return ratios.get(ratios.size() / 2);
        }

        int pairs() {
            return ratios.size();
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
        writeFiles(source);
        return measure("bindfs",
                target -> node.container().run("bindfs", source.toString(), target.toString()),
                target -> node.host().run("bindfs", source.toString(), target.toString()));
    }

    Figures glusterfs() {
        GlusterVolume volume = node.node().gluster().createVolume("bench");
        Path writer = node.node().newVolumeDir("gluster-writer");
        node.host().run("mount", "-t", "glusterfs", volume.source(), writer.toString());
        try {
            writeFiles(writer);
        } finally {
            node.host().run("umount", writer.toString());
        }
        return measure("glusterfs",
                target -> node.container().run("mount", "-t", "glusterfs", volume.source(), target.toString()),
                target -> node.host().run("mount", "-t", "glusterfs", volume.source(), target.toString()));
    }

    private void writeFiles(Path dir) {
        for (int i = 0; i < FILES; i++) {
            node.host().command(List.of("dd", "if=/dev/zero", "of=" + dir.resolve("data" + i), "bs=1M",
                    "count=" + FILE_MIB, "status=none")).withTimeout(Duration.ofMinutes(5)).run();
        }
    }

    /** A warm-up round, then ROUNDS of FILES pairs of reads. */
    private Figures measure(String filesystem, Mounting forwarded, Mounting natively) {
        List<Double> forwardedRates = new ArrayList<>();
        List<Double> nativeRates = new ArrayList<>();
        List<Double> ratios = new ArrayList<>();
        for (int round = -1; round < ROUNDS; round++) {
            Path viaMounterd = node.node().newVolumeDir(filesystem + "-forwarded");
            Path nativeMount = node.node().newVolumeDir(filesystem + "-native");
            forwarded.mount(viaMounterd);
            try {
                natively.mount(nativeMount);
                try {
                    for (int file = 0; file < FILES; file++) {
                        double[] rates = readPair(viaMounterd, nativeMount, file, (round + file) % 2 == 0);
                        if (round >= 0) {
                            forwardedRates.add(rates[0]);
                            nativeRates.add(rates[1]);
                            ratios.add(rates[0] / rates[1]);
                        }
                    }
                } finally {
                    node.host().run("umount", nativeMount.toString());
                }
            } finally {
                node.host().run("umount", viaMounterd.toString());
            }
        }
        return new Figures(filesystem, sorted(forwardedRates), sorted(nativeRates), sorted(ratios));
    }

    /**
     * Reads file number {@code file} below both mounts once on the host, in turns
     * ({@code mount-bench read-pair}); {MiB/s through mounterd's mount, MiB/s native}.
     */
    private double[] readPair(Path viaMounterd, Path nativeMount, int file, boolean forwardedFirst) {
        String name = "data" + file;
        Path a = (forwardedFirst ? viaMounterd : nativeMount).resolve(name);
        Path b = (forwardedFirst ? nativeMount : viaMounterd).resolve(name);
        Command read = node.host().command(List.of(bench, "read-pair", a.toString(), b.toString()));
        String out = read.withTimeout(Duration.ofMinutes(2)).run().stdout();
        Matcher m = READ_PAIR.matcher(out);
        long expected = FILE_MIB * 1048576L;
        if (!m.find() || Long.parseLong(m.group(1)) != expected || Long.parseLong(m.group(2)) != expected) {
            throw new IllegalStateException("unexpected output of mount-bench read-pair: " + out);
        }
        double first = Double.parseDouble(m.group(3));
        double second = Double.parseDouble(m.group(4));
        return forwardedFirst ? new double[] {first, second} : new double[] {second, first};
    }

    private static List<Double> sorted(List<Double> values) {
        return values.stream().sorted().toList();
    }

    static String table(List<Figures> figures) {
        StringBuilder out = new StringBuilder();
        out.append("| reading a " + FILE_MIB + " MiB file on the host | through mounterd's mount, median (range) MiB/s "
                + "| native mount, median (range) MiB/s | ratio, median of pairs (range) | pairs |\n"
                + "|---|---:|---:|---:|---:|\n");
        for (Figures f : figures) {
            int last = f.pairs() - 1;
            out.append(String.format("| %s | %.0f (%.0f-%.0f) | %.0f (%.0f-%.0f) | %.3f (%.2f-%.2f) | %d |%n",
                    f.filesystem(), f.forwardedMibPerSecond(), f.forwarded().get(0), f.forwarded().get(last),
                    f.nativeMibPerSecond(), f.natively().get(0), f.natively().get(last), f.ratio(),
                    f.ratios().get(0), f.ratios().get(last), f.pairs()));
        }
        return out.toString();
    }
}
