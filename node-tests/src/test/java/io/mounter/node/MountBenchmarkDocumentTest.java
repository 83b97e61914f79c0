package io.mounter.node;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * docs/benchmarks.md is rendered only at the end of a 13-minute `./run bench`; its text is
 * one format string, where a stray '%' in the prose fails the whole run. Rendered here from
 * made-up figures, with the aims judged from them.
 */
class MountBenchmarkDocumentTest {

    @Test
    void theDocumentRendersEveryPartAndJudgesTheAimsByTheFigures() throws Exception {
        MountBenchmark.Baseline baseline = new MountBenchmark.Baseline("e55b606", new Distribution(Path.of("/nonexistent")));
        List<MountBenchmark.Latency> latencies = List.of(
                new MountBenchmark.Latency("forwarded: shim -> mounterd -> host ns", 2000, 240.0, 900.0, ""),
                new MountBenchmark.Latency(baseline.row(), 2000, 200.0, 800.0, "", 1.2),
                new MountBenchmark.Latency("docker exec", 0, 0, 0, "no engine"));
        List<MountBenchmark.Throughput> throughputs = List.of(new MountBenchmark.Throughput(32, 2500, 10, 30000));
        List<DataPathBenchmark.Figures> reads = List.of(
                new DataPathBenchmark.Figures("bindfs", List.of(900.0, 1000.0), List.of(950.0, 1000.0), List.of(0.98, 0.99)));
        List<MountBenchmark.Startup> startups = List.of(new MountBenchmark.Startup("AppCDS", 300, 70.5, 72, 7));
        List<ProbeCost.Figures> probes = List.of(new ProbeCost.Figures("httpGet", 100, 0.9));
        List<RecoveryBenchmark.Figures> recoveries = List.of(new RecoveryBenchmark.Figures(10, false, 2500, 0));
        List<CsiBenchmark.Figures> csi = List.of(new CsiBenchmark.Figures("NodePublishVolume", 50, 3.0, 9.0));

        String document = MountBenchmark.document(latencies, throughputs, reads, startups, probes, recoveries, csi,
                baseline);

        for (String part : List.of("## Aims", "## One tmpfs mount+umount pair", "## Concurrent clients",
                "## The data path", "## Start-up and memory", "## Health probes",
                "## Recovery after the mount container is replaced", "## The CSI door")) {
            assertTrue(document.contains(part), "no " + part);
        }
        assertTrue(document.contains("- forwarded pair median < 250 us: met (240 us)"), document);
        assertTrue(document.contains("- >= 3,000 pairs/s with 32 clients: **not met** (2500 pairs/s)"), document);
        assertTrue(document.contains("- idle RSS < 64 MiB: **not met** (70.5 MiB)"), document);
        assertTrue(document.contains("- forwarded pair <= 1.15x the baseline's (e55b606): **not met** (1.20x)"),
                document);
        assertFalse(document.contains("%%"), "a doubled %% left in the prose");
    }
}
