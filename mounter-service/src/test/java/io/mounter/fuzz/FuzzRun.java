package io.mounter.fuzz;

import java.util.Random;

/**
 * Runs a property over generated inputs: {@code -Dmounter.fuzz.iterations=N} inputs
 * (default 20,000, a few seconds) from {@code -Dmounter.fuzz.seed=S} (default: a new seed
 * each run, printed). Iteration i draws only from its own Random, seeded from S and i, so a
 * failure names the seed and iteration that replay it exactly.
 */
public final class FuzzRun {
    public static final int DEFAULT_ITERATIONS = 20_000;

    private final String name;
    private final long seed;
    private final long iterations;

    private FuzzRun(String name, long seed, long iterations) {
        this.name = name;
        this.seed = seed;
        this.iterations = iterations;
    }

    public static FuzzRun named(String name) {
        String configuredSeed = System.getProperty("mounter.fuzz.seed", "");
        long seed = configuredSeed.isBlank() ? new Random().nextLong() : Long.parseLong(configuredSeed);
        long iterations = Long.getLong("mounter.fuzz.iterations", DEFAULT_ITERATIONS);
        return new FuzzRun(name, seed, iterations);
    }

    /** One iteration: draws its input from {@code random} and throws AssertionError if a property fails. */
    @FunctionalInterface
    public interface Property {
        void check(Random random, long iteration) throws Exception;
    }

    public void forEach(Property property) {
        long start = System.nanoTime();
        for (long i = 0; i < iterations; i++) {
            Random random = new Random(seed ^ (i * 0x9E3779B97F4A7C15L));
            try {
                property.check(random, i);
            } catch (Throwable failure) {
                throw new AssertionError(name + " failed at iteration " + i + "; replay with -Dmounter.fuzz.seed=" + seed
                        + ": " + failure, failure);
            }
        }
        System.out.printf("%s: %d inputs from seed %d in %d ms%n", name, iterations, seed,
                (System.nanoTime() - start) / 1_000_000);
    }
}
