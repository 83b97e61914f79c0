package io.mounter.node;

import com.fasterxml.jackson.jr.ob.JSON;
import io.mounter.linux.DeviceNumber;
import io.mounter.linux.MountInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;

/**
 * How long mounts take to serve again after the mount container was replaced, on the
 * simulated node: N bindfs mounts (and, in the second way, a pod holding a private bind of
 * each), then mounterd killed and every daemon with it, as a container replacement ends
 * them, and mounterd started again: the time from its start until every mount serves again
 * on the host (a new device on the target, and its file reads back), and in the pod. The new
 * container's own start (a JVM, about a second) comes on top.
 */
final class RecoveryBenchmark {
    static final int[] COUNTS = {1, 10, 50};
    private static final Duration LIMIT = Duration.ofMinutes(2);

    /** One run: how many mounts, whether a pod held them, and the times (ms) until all served again. */
    record Figures(int mounts, boolean pod, double hostMs, double podMs) {
    }

    /** A bindfs mount made through mounterd, with a file in its source. */
    private record Volume(Path source, Path target, Path inPod) {
    }

    private RecoveryBenchmark() {
    }

    static List<Figures> measure(MounterNode mounter) {
        List<Figures> figures = new ArrayList<>();
        for (int count : COUNTS) {
            figures.add(once(mounter, count, false));
            figures.add(once(mounter, count, true));
        }
        return figures;
    }

    private static Figures once(MounterNode mounter, int count, boolean withPod) {
        List<Volume> volumes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Path source = mounter.node().newDirectory("recovery-source");
            write(source.resolve("file.txt"), "recovery " + i);
            Path target = mounter.node().newVolumeDir("recovery-" + i);
            mounter.container().run("bindfs", source.toString(), target.toString());
            volumes.add(new Volume(source, target, mounter.node().newDirectory("recovery-pod")));
        }
        await(() -> commandsSaved(mounter, volumes), "the daemons' commands saved");
        Map<Path, Path> binds = new LinkedHashMap<>();
        volumes.forEach(v -> binds.put(v.inPod(), v.target()));
        PodNamespace pod = withPod ? PodNamespace.start(mounter.host(), binds, "private",
                mounter.node().logDir().resolve("recovery-pod-" + UUID.randomUUID() + ".log")) : null;
        try {
            Map<Path, DeviceNumber> dead = devices(mounter, volumes);
            mounter.mounterd().kill();
            for (Volume volume : volumes) {
                ProcessInfo daemon = Processes.findByCmdline(mounter.container().pidNamespaceInode(),
                        "bindfs " + volume.source() + " ").orElseThrow();
                Processes.killTree(ProcessHandle.of(daemon.pid()).orElseThrow());
                Processes.waitForExit(daemon.pid(), Duration.ofSeconds(5));
            }
            long start = System.nanoTime();
            mounter.restartMounterd();
            await(() -> servesOnHost(mounter, volumes, dead), count + " mounts serving on the host again");
            double hostMs = (System.nanoTime() - start) / 1e6;
            double podMs = 0;
            if (pod != null) {
                await(() -> readsAll(pod.command(readAll(volumes, Volume::inPod))), "every mount serving in the pod");
                podMs = (System.nanoTime() - start) / 1e6;
            }
            return new Figures(count, withPod, hostMs, podMs);
        } finally {
            if (pod != null) {
                pod.close();
            }
            for (Volume volume : volumes) {
                mounter.host().exec("umount", volume.target().toString());
            }
        }
    }

    private static boolean commandsSaved(MounterNode mounter, List<Volume> volumes) {
        Path state = mounter.mounterd().stateDirFromOutside().resolve("mounts.json");
        try {
            Object commands = Files.exists(state) ? JSON.std.mapFrom(Files.readString(state)).get("commands") : null;
            return commands instanceof Map<?, ?> saved
                    && volumes.stream().allMatch(v -> saved.containsKey(v.target().toString()));
        } catch (IOException e) {
            return false; // caught mid-write: look again
        }
    }

    private static Map<Path, DeviceNumber> devices(MounterNode mounter, List<Volume> volumes) {
        NamespaceMounts mounts = mounter.host().mountinfo();
        Map<Path, DeviceNumber> devices = new LinkedHashMap<>();
        volumes.forEach(v -> devices.put(v.target(), mounts.at(v.target()).map(MountInfo.Entry::device).orElseThrow()));
        return devices;
    }

    private static boolean servesOnHost(MounterNode mounter, List<Volume> volumes, Map<Path, DeviceNumber> dead) {
        NamespaceMounts mounts = mounter.host().mountinfo();
        boolean remounted = volumes.stream().allMatch(v -> mounts.at(v.target()).map(MountInfo.Entry::device)
                .map(device -> !device.equals(dead.get(v.target()))).orElse(false));
        return remounted && readsAll(mounter.host().command(readAll(volumes, Volume::target)));
    }

    /** One process that reads every volume's file through {@code where}; fails at the first that does not read. */
    private static List<String> readAll(List<Volume> volumes, java.util.function.Function<Volume, Path> where) {
        List<String> argv = new ArrayList<>(List.of("sh", "-c", "for f do cat \"$f\" >/dev/null || exit 1; done", "sh"));
        volumes.forEach(v -> argv.add(where.apply(v).resolve("file.txt").toString()));
        return argv;
    }

    private static boolean readsAll(Command command) {
        return command.exec().succeeded();
    }

    private static void write(Path file, String content) {
        try {
            Files.writeString(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + LIMIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("not within " + LIMIT + ": " + what);
            }
            Processes.sleep(Duration.ofMillis(20));
        }
    }

    static String table(List<Figures> figures) {
        StringBuilder out = new StringBuilder("| mounts | a pod holding each | serving again on the host (ms) "
                + "| and in the pod (ms) |\n|---:|---|---:|---:|\n");
        for (Figures f : figures) {
            out.append(String.format("| %d | %s | %.0f | %s |%n", f.mounts(), f.pod() ? "yes" : "no", f.hostMs(),
                    f.pod() ? String.format("%.0f", f.podMs()) : "-"));
        }
        return out.toString();
    }
}
