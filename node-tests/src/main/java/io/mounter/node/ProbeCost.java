package io.mounter.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The CPU one health probe of the mount container costs, in the container: kubelet's HTTP
 * GET of /healthz (only mounterd's side runs in the pod) against an exec probe running
 * {@code mounterctl status} (a JVM per probe, plus mounterd's side). CPU times are the
 * kernel's per-process counts in clock ticks (/proc/PID/stat utime+stime, and the
 * cutime+cstime of a shell for the children it waited for), read before and after many
 * probes in a row; a tick is 10 ms, hence the many. mounterd serves as many GETs unmeasured
 * first: a mounterd probed every 10 s for hours has compiled that path long since.
 */
final class ProbeCost {
    static final int HTTP_PROBES = 300;
    static final int EXEC_PROBES = 10;
    private static final long TICKS_PER_SECOND = 100; // USER_HZ, as /proc reports times on Linux

    /** One way of probing: how many probes, and the CPU per probe in milliseconds. */
    record Figures(String way, int probes, double cpuMsPerProbe) {
    }

    private ProbeCost() {
    }

    static List<Figures> measure(MounterNode mounter) {
        return List.of(httpGet(mounter), execMounterctl(mounter));
    }

    /** GETs from bash's /dev/tcp in the container (the node's network): mounterd's CPU only. */
    private static Figures httpGet(MounterNode mounter) {
        long pid = mounter.mounterd().pid();
        String loop = "i=0; while [ $i -lt " + HTTP_PROBES + " ]; do exec 3<>/dev/tcp/127.0.0.1/9477"
                + " && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3"
                + " && cat <&3 >/dev/null; exec 3<&-; i=$((i+1)); done";
        mounter.container().run("bash", "-c", loop); // unmeasured: a probed mounterd has served many
        long before = ownTicks(pid);
        mounter.container().run("bash", "-c", loop);
        long after = ownTicks(pid);
        return new Figures("httpGet /healthz (mounterd's side; kubelet does the rest)", HTTP_PROBES,
                perProbe(after - before, HTTP_PROBES));
    }

    /** {@code mounterctl status} runs one after the other under one shell, which adds up their CPU. */
    private static Figures execMounterctl(MounterNode mounter) {
        long pid = mounter.mounterd().pid();
        String mounterctl = mounter.dist().bin("mounterctl").toString();
        String loop = "i=0; while [ $i -lt " + EXEC_PROBES + " ]; do \"$1\" status >/dev/null || exit 1;"
                + " i=$((i+1)); done; cat /proc/$$/stat";
        long before = ownTicks(pid);
        String stat = mounter.container().command(List.of("sh", "-c", loop, "sh", mounterctl), Map.of())
                .run().stdout();
        long after = ownTicks(pid);
        long children = childrenTicks(stat);
        return new Figures("exec `mounterctl status` (its JVM, and mounterd's side)", EXEC_PROBES,
                perProbe(children + after - before, EXEC_PROBES));
    }

    private static double perProbe(long ticks, int probes) {
        return ticks * 1000.0 / TICKS_PER_SECOND / probes;
    }

    /** utime + stime of a process. */
    private static long ownTicks(long pid) {
        try {
            return ticks(Files.readString(Path.of("/proc", Long.toString(pid), "stat")), 14);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the CPU time of " + pid, e);
        }
    }

    /** cutime + cstime: the CPU of the children a process waited for. */
    private static long childrenTicks(String stat) {
        return ticks(stat, 16);
    }

    /** Fields {@code first} and {@code first + 1} (1-based, as in proc(5)) of a stat line, summed. */
    static long ticks(String stat, int first) {
        // the comm field may hold blanks; the fields after it follow the last ')'
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).strip().split(" ");
        int offset = 3; // fields[0] is field 3 (state)
        return Long.parseLong(fields[first - offset]) + Long.parseLong(fields[first + 1 - offset]);
    }

    static String table(List<Figures> figures) {
        double exec = figures.get(figures.size() - 1).cpuMsPerProbe();
        StringBuilder out = new StringBuilder("| health probe | probes | CPU per probe (ms) | vs exec mounterctl |\n"
                + "|---|---:|---:|---:|\n");
        for (Figures f : figures) {
            out.append(String.format("| %s | %d | %.2f | %.3f |%n", f.way(), f.probes(), f.cpuMsPerProbe(),
                    f.cpuMsPerProbe() / exec));
        }
        return out.toString();
    }
}
