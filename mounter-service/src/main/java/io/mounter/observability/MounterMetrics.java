package io.mounter.observability;

import io.mounter.Version;
import io.mounter.linux.Errno;
import io.mounter.protocol.MountState;
import io.mounter.protocol.Operation;
import io.prometheus.client.Collector;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.CounterMetricFamily;
import io.prometheus.client.GaugeMetricFamily;
import io.prometheus.client.Histogram;
import io.prometheus.client.exporter.common.TextFormat;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * mounterd's metrics, in a registry of their own, and the two seams that feed them: every
 * request's outcome ({@link RequestObserver}) and upkeep events ({@link MountEvents}).
 *
 * <p>{@link #observe} runs on the request path before each reply: after the first request
 * of each kind it only finds a cached child in an array and adds to striped adders, no
 * lock, no allocation. Everything else (the text format, the gauges read at scrape time)
 * happens on the status endpoint's thread.
 */
public final class MounterMetrics implements RequestObserver, MountEvents {
    /** The text format's content type (version 0.0.4). */
    public static final String CONTENT_TYPE = TextFormat.CONTENT_TYPE_004;

    /**
     * From a cached LIST (about 50 us) to a RUN_MOUNT whose helper talks to a slow server
     * (seconds; the helper timeout is longer, and the +Inf bucket counts those).
     */
    static final double[] DURATION_BUCKETS = {
        0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    };

    /** The op label of every operation, by ordinal, then of a message that names none. */
    private static final String[] OPERATIONS = labels();
    private static final int MALFORMED = OPERATIONS.length - 1;
    /** Errnos below this have a cached child; Linux's are all below 134. */
    private static final int ERRNO_SLOTS = 256;
    private static final double NANOS_PER_SECOND = 1e9;

    private final CollectorRegistry registry = new CollectorRegistry();
    private final Counter requests = Counter.build("mounter_requests_total",
                    "Requests answered, by operation and result (ok or the errno name of the reply).")
            .labelNames("op", "result").withoutExemplars().register(registry);
    private final Histogram duration = Histogram.build("mounter_request_duration_seconds",
                    "Time from a request's receipt to its reply, by operation.")
            .labelNames("op").buckets(DURATION_BUCKETS).withoutExemplars().register(registry);
    private final Counter staleMountsCleaned = Counter.build("mounter_stale_mounts_cleaned_total",
                    "Mounts that were gone or never served and left the table or were detached.")
            .withoutExemplars().register(registry);
    private final AtomicReferenceArray<Counter.Child> requestChildren =
            new AtomicReferenceArray<>(OPERATIONS.length * ERRNO_SLOTS);
    private final AtomicReferenceArray<Histogram.Child> durationChildren =
            new AtomicReferenceArray<>(OPERATIONS.length);
    private volatile long startCount;

    /**
     * @param mountsHeld the mount table's size, read at each scrape
     * @param mountStates how many of them are in each state, read at each scrape
     * @param health read at each scrape
     */
    public MounterMetrics(IntSupplier mountsHeld, Supplier<Map<MountState, Integer>> mountStates, Health health) {
        new StateCollector(mountsHeld, mountStates, health).register(registry);
        new ProcessCollector().register(registry);
    }

    @Override
    public void observe(Operation operation, int errno, long nanos) {
        count(operation.ordinal(), errno, nanos);
    }

    @Override
    public void malformed(int errno, long nanos) {
        count(MALFORMED, errno, nanos);
    }

    private void count(int op, int errno, long nanos) {
        requestsChild(op, errno).inc();
        durationChild(op).observe(nanos / NANOS_PER_SECOND);
    }

    private static String[] labels() {
        Operation[] operations = Operation.values();
        String[] labels = new String[operations.length + 1];
        for (Operation operation : operations) {
            labels[operation.ordinal()] = operation.name();
        }
        labels[operations.length] = "MALFORMED";
        return labels;
    }

    @Override
    public void staleMountCleaned(String target, String reason) {
        staleMountsCleaned.inc();
    }

    @Override
    public void started(long startCount) {
        this.startCount = startCount;
    }

    /** The label value of a reply status: "ok" or the errno's name. */
    static String result(int errno) {
        return errno == 0 ? "ok" : Errno.name(errno);
    }

    /** Every metric in the text format, version 0.0.4. */
    public void writeTo(Writer out) throws IOException {
        // The _created series the library adds to counters and histograms mean nothing
        // to a scraper of a daemon that restarts with the pod; leave them out.
        TextFormat.write004(out, registry.filteredMetricFamilySamples(name -> !name.endsWith("_created")));
    }

    /** {@link #writeTo} as a string. */
    public String scrape() {
        StringWriter out = new StringWriter(8192);
        try {
            writeTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private Counter.Child requestsChild(int op, int errno) {
        if (errno < 0 || errno >= ERRNO_SLOTS) {
            return requests.labels(OPERATIONS[op], result(errno));
        }
        int slot = op * ERRNO_SLOTS + errno;
        Counter.Child child = requestChildren.get(slot);
        if (child == null) {
            // the library hands out one child per label set, so a race only repeats this lookup
            child = requests.labels(OPERATIONS[op], result(errno));
            requestChildren.set(slot, child);
        }
        return child;
    }

    private Histogram.Child durationChild(int op) {
        Histogram.Child child = durationChildren.get(op);
        if (child == null) {
            child = duration.labels(OPERATIONS[op]);
            durationChildren.set(op, child);
        }
        return child;
    }

    /** Values mounterd holds anyway, read when scraped. */
    private final class StateCollector extends Collector {
        private final IntSupplier mountsHeld;
        private final Supplier<Map<MountState, Integer>> mountStates;
        private final Health health;
        private final String version = Version.current();

        StateCollector(IntSupplier mountsHeld, Supplier<Map<MountState, Integer>> mountStates, Health health) {
            this.mountsHeld = mountsHeld;
            this.mountStates = mountStates;
            this.health = health;
        }

        @Override
        public List<MetricFamilySamples> collect() {
            List<MetricFamilySamples> families = new ArrayList<>();
            families.add(new GaugeMetricFamily("mounter_mounts_held",
                    "Mounts mounterd made and has not seen unmounted.", mountsHeld.getAsInt()));
            GaugeMetricFamily states = new GaugeMetricFamily("mounter_mounts",
                    "Mounts held, by state: serving; recovering (FUSE daemon gone, its command being run again);"
                            + " dead (FUSE daemon gone for good).", List.of("state"));
            mountStates.get().forEach((state, count) -> states.addMetric(List.of(state.label()), count));
            families.add(states);
            families.add(new GaugeMetricFamily("mounter_healthy",
                    "1 while every component is healthy, 0 while degraded (still serving; /healthz says why).",
                    health.isHealthy() ? 1 : 0));
            long starts = startCount;
            if (starts > 0) {
                families.add(new CounterMetricFamily("mounter_starts_total",
                        "Times mounterd has started on this node, this start included (kept in the state directory).",
                        starts));
            }
            families.add(new GaugeMetricFamily("mounter_build_info", "mounterd's version, as a label.",
                    List.of("version")).addMetric(List.of(version), 1));
            return families;
        }
    }
}
