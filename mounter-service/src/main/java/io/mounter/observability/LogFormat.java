package io.mounter.observability;

import java.util.Locale;

/**
 * Chooses the log format, json or text, before logback starts: sets the system property
 * {@link LogSetup} reads from, in order, {@code -Dmounter.log.format}, the environment's
 * {@code MOUNTER_LOG_FORMAT}, and the program's default. Without this call LogSetup falls
 * back to the environment, then text.
 */
public final class LogFormat {
    public static final String PROPERTY = "mounter.log.format";
    public static final String ENVIRONMENT = "MOUNTER_LOG_FORMAT";

    private LogFormat() {
    }

    /**
     * Must run before the first logger is created (logback reads its configuration then):
     * from a static initializer placed above the main class's logger field.
     */
    public static void chooseDefault(String programDefault) {
        String chosen = choose(System.getProperty(PROPERTY), System.getenv(ENVIRONMENT), programDefault);
        System.setProperty(PROPERTY, chosen);
    }

    /** The first valid of {@code property}, {@code environment}, {@code programDefault}; an invalid one is named on stderr. */
    static String choose(String property, String environment, String programDefault) {
        for (String candidate : new String[] {property, environment}) {
            if (candidate == null || candidate.isEmpty()) {
                continue;
            }
            String format = candidate.toLowerCase(Locale.ROOT);
            if (format.equals("json") || format.equals("text")) {
                return format;
            }
            System.err.println("mounter: unknown log format '" + candidate + "' (json or text); using "
                    + programDefault);
            return programDefault;
        }
        return programDefault;
    }
}
