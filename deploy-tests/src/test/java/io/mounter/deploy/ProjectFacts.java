package io.mounter.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the rest of the project says the manifests must agree with, each read from the
 * place that decides it rather than copied into the tests:
 *
 * @param image               the single line of container/IMAGE
 * @param mounterdDefaults    mounterd's flag defaults, from {@code dist/bin/mounterd --help}
 * @param kubeletMounterPaths the {@code --experimental-mounter-path=} values kubelet-patch/README.md names
 * @param kubeletMounterConfig kubelet-mounter's default config file (DEFAULT_CONFIG in the script)
 * @param defaultRoutes       the routes the image writes into a new kubelet-mounter.conf
 * @param defaultRoutesSource where defaultRoutes came from
 */
record ProjectFacts(String image, Map<String, String> mounterdDefaults, List<String> kubeletMounterPaths,
        String kubeletMounterConfig, List<MountRoute> defaultRoutes, String defaultRoutesSource) {

    static final String IMAGE_FILE = "container/IMAGE";
    static final String ENTRYPOINT = "container/entrypoint.sh";
    static final String MOUNTERD = "bin/mounterd";
    static final String KUBELET_PATCH_README = "kubelet-patch/README.md";
    static final String KUBELET_MOUNTER = "kubelet-patch/kubelet-mounter";

    /**
     * The default route of the image contract, for as long as container/entrypoint.sh does
     * not exist yet; once it does, the entrypoint is the source.
     */
    static final String CONTRACT_ROUTE = "glusterfs:name=glusterfs-mounter:mounter";

    private static final Pattern MOUNTER_PATH = Pattern.compile("--experimental-mounter-path=([^\\s\"'`]+)");
    private static final Pattern DEFAULT_CONFIG = Pattern.compile("(?m)^DEFAULT_CONFIG=(\\S+)$");
    private static final Pattern ROUTE = Pattern.compile(Pattern.quote(MountRoute.FLAG) + "([^\\s\"'`]+)");
    private static final Pattern DEFAULT_VALUE = Pattern.compile("Default:\\s+(\\S+)");
    /** An option line of picocli's usage help: indentation, then "-x, --long=PARAM" or "--long=PARAM". */
    private static final Pattern OPTION_LINE = Pattern.compile("^\\s+(?:-\\w, )?(--[\\w-]+)");

    String socket() {
        return mounterdDefault("--socket");
    }

    String hostMountNamespace() {
        return mounterdDefault("--host-mount-ns");
    }

    String stateDir() {
        return mounterdDefault("--state-dir");
    }

    /** The port of mounterd's default status endpoint (--http-listen HOST:PORT). */
    int statusPort() {
        String listen = mounterdDefault("--http-listen");
        return Integer.parseInt(listen.substring(listen.lastIndexOf(':') + 1));
    }

    private String mounterdDefault(String option) {
        String value = mounterdDefaults.get(option);
        if (value == null) {
            throw new AssertionError("mounterd --help shows no default for " + option + ": " + mounterdDefaults);
        }
        return value;
    }

    static ProjectFacts load(RepositoryFiles repository) {
        List<MountRoute> routes;
        String routesSource;
        if (repository.exists(ENTRYPOINT)) {
            routes = routesIn(repository.read(ENTRYPOINT));
            routesSource = ENTRYPOINT;
        } else {
            routes = List.of(MountRoute.parse(CONTRACT_ROUTE));
            routesSource = "the image contract (" + ENTRYPOINT + " does not exist yet)";
        }
        return new ProjectFacts(
                image(repository.read(IMAGE_FILE)),
                mounterdDefaults(runMounterdHelp(repository)),
                mounterPaths(repository.read(KUBELET_PATCH_README)),
                defaultConfig(repository.read(KUBELET_MOUNTER)),
                routes, routesSource);
    }

    static String image(String imageFile) {
        List<String> lines = imageFile.lines().map(String::strip).filter(line -> !line.isEmpty()).toList();
        if (lines.size() != 1) {
            throw new AssertionError(IMAGE_FILE + " should hold one line (NAME:TAG), holds " + lines);
        }
        return lines.get(0);
    }

    static List<String> mounterPaths(String text) {
        List<String> paths = new ArrayList<>();
        Matcher matcher = MOUNTER_PATH.matcher(text);
        while (matcher.find()) {
            paths.add(matcher.group(1));
        }
        if (paths.isEmpty()) {
            throw new AssertionError("no --experimental-mounter-path=PATH in the text");
        }
        return List.copyOf(paths);
    }

    static String defaultConfig(String script) {
        Matcher matcher = DEFAULT_CONFIG.matcher(script);
        if (!matcher.find()) {
            throw new AssertionError(KUBELET_MOUNTER + " has no DEFAULT_CONFIG=PATH line");
        }
        return matcher.group(1);
    }

    /** Every --mount-container= value outside comments, in order, without repeats. */
    static List<MountRoute> routesIn(String script) {
        List<MountRoute> routes = new ArrayList<>();
        script.lines().filter(line -> !line.strip().startsWith("#")).forEach(line -> {
            Matcher matcher = ROUTE.matcher(line);
            while (matcher.find()) {
                MountRoute route = MountRoute.parse(matcher.group(1));
                if (!routes.contains(route)) {
                    routes.add(route);
                }
            }
        });
        if (routes.isEmpty()) {
            throw new AssertionError(ENTRYPOINT + " writes no " + MountRoute.FLAG + " route");
        }
        return List.copyOf(routes);
    }

    /**
     * Option to default, from picocli's usage help: an option's block runs from its own
     * line to the next option line, since a long description wraps ("Default:" and the
     * value may even land on different lines).
     */
    static Map<String, String> mounterdDefaults(String help) {
        Map<String, StringBuilder> blocks = new LinkedHashMap<>();
        StringBuilder current = null;
        for (String line : help.lines().toList()) {
            Matcher option = OPTION_LINE.matcher(line);
            if (option.find()) {
                current = new StringBuilder();
                blocks.put(option.group(1), current);
            }
            if (current != null) {
                current.append(' ').append(line.strip());
            }
        }
        Map<String, String> defaults = new LinkedHashMap<>();
        blocks.forEach((option, block) -> {
            Matcher value = DEFAULT_VALUE.matcher(block);
            if (value.find()) {
                defaults.put(option, value.group(1));
            }
        });
        return Map.copyOf(defaults);
    }

    static String runMounterdHelp(RepositoryFiles repository) {
        Path mounterd = repository.distPath(MOUNTERD);
        if (!Files.isExecutable(mounterd)) {
            throw new AssertionError(mounterd + " is missing: build mounter-service first"
                    + " (mvn install -pl deploy-tests -am)");
        }
        try {
            Path output = Files.createTempFile("mounterd-help", ".txt");
            try {
                ProcessBuilder builder = new ProcessBuilder(mounterd.toString(), "--help")
                        .redirectErrorStream(true)
                        .redirectOutput(output.toFile());
                // the launcher runs ${JAVA:-java}: the JVM running these tests
                builder.environment().put("JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
                Process process = builder.start();
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new AssertionError(mounterd + " --help did not finish in 60 s");
                }
                String help = Files.readString(output, StandardCharsets.UTF_8);
                if (process.exitValue() != 0) {
                    throw new AssertionError(mounterd + " --help exited " + process.exitValue() + ": " + help);
                }
                return help;
            } finally {
                Files.deleteIfExists(output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + mounterd, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + mounterd, e);
        }
    }
}
