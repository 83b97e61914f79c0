package io.mounter.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;

/** The sources the consistency checks read, and the parsing of each. */
class ProjectFactsTest {
    private static final Pattern WAIT_PAST_THE_BOUND = Pattern.compile("waits at most (\\d+) ms");

    @Test
    void mounterdHelpGivesTheDefaultsTheManifestsUse() {
        ProjectFacts facts = Fixtures.facts();
        for (String path : List.of(facts.socket(), facts.hostMountNamespace(), facts.stateDir())) {
            assertTrue(path.startsWith("/"), "not an absolute path: " + path + " in " + facts.mounterdDefaults());
        }
    }

    /** picocli wraps descriptions; "Default:" and its value may end up on different lines. */
    @Test
    void readsDefaultsFromWrappedHelp() {
        String help = """
                Usage: mounterd [-hV] [--socket=PATH]
                                [--state-dir=DIR]
                  -h, --help                 Show this help message and exit.
                      --socket=PATH          Listening socket (SOCK_SEQPACKET, mode 0600). Default:
                                               /run/x/x.sock
                      --state-dir=DIR        Where it keeps its state.
                                               Default: /var/lib/x
                      --allow-uid=UID        Allow peers with this uid (repeatable; default 0).
                """;
        assertEquals(Map.of("--socket", "/run/x/x.sock", "--state-dir", "/var/lib/x"), ProjectFacts.mounterdDefaults(help));
    }

    @Test
    void readsRoutesOutsideComments() {
        String script = """
                # --mount-container=nfs:app=old:old
                DEFAULT_ROUTE='--mount-container=glusterfs:name=glusterfs-mounter,tier=node:mounter'
                printf '%s\\n' "--mount-container=glusterfs:name=glusterfs-mounter,tier=node:mounter"
                """;
        assertEquals(List.of(new MountRoute("glusterfs", Map.of("name", "glusterfs-mounter", "tier", "node"), "mounter")),
                ProjectFacts.routesIn(script));
    }

    @Test
    void rejectsMalformedRoutes() {
        for (String spec : List.of("glusterfs:name=x", "glusterfs:name:mounter", ":name=x:mounter",
                "glusterfs:name=x=y:mounter", "glusterfs:name=x:mounter:extra")) {
            assertThrows(IllegalArgumentException.class, () -> MountRoute.parse(spec), spec);
        }
    }

    @Test
    void takesTheDefaultRouteFromTheEntrypointOnceItExists(TestReporter reporter) {
        ProjectFacts facts = Fixtures.facts();
        reporter.publishEntry("default routes", facts.defaultRoutes() + " from " + facts.defaultRoutesSource());
        if (Fixtures.repository().exists(ProjectFacts.ENTRYPOINT)) {
            assertEquals(ProjectFacts.ENTRYPOINT, facts.defaultRoutesSource());
        }
        assertTrue(facts.defaultRoutes().stream().anyMatch(route -> route.fstype().equals("glusterfs")),
                "no default route for glusterfs: " + facts.defaultRoutes());
    }

    /** The entrypoint writes the file kubelet-mounter reads by default. */
    @Test
    void entrypointWritesTheConfigFileKubeletMounterReads() {
        RepositoryFiles repository = Fixtures.repository();
        String config = Fixtures.facts().kubeletMounterConfig();
        String name = config.substring(config.lastIndexOf('/') + 1);
        assertEquals("/etc/mounter/kubelet-mounter.conf", config, ProjectFacts.KUBELET_MOUNTER + " DEFAULT_CONFIG");
        if (repository.exists(ProjectFacts.ENTRYPOINT)) {
            assertTrue(repository.read(ProjectFacts.ENTRYPOINT).contains("/" + name),
                    ProjectFacts.ENTRYPOINT + " does not write " + name);
        }
    }

    /** static-pods/README.md tells the operator the flag for the host directory the manifests install into. */
    @Test
    void staticPodsReadmeNamesTheKubeletFlagForTheInstallDir() {
        var pod = Manifests.mountPod(Manifests.staticPod(Fixtures.repository()));
        String installDir = MountPodChecks.env(pod, "MOUNTER_INSTALL_KUBELET_MOUNTER");
        String hostDir = MountPodChecks.hostPathVolumeAt(pod, installDir).orElseThrow().getHostPath().getPath();
        List<String> named = ProjectFacts.mounterPaths(Fixtures.repository().read("static-pods/README.md"));
        assertTrue(named.contains(hostDir + "/" + ConsistencyChecks.KUBELET_MOUNTER),
                "static-pods/README.md names " + named + ", the manifests install into " + hostDir);
    }

    /** README and docs give the wait of a request past --max-requests that mounterd's own --help gives. */
    @Test
    void theDocsGiveTheWaitPastTheRequestBoundThatMounterdGives() {
        RepositoryFiles repository = Fixtures.repository();
        Matcher inHelp = WAIT_PAST_THE_BOUND.matcher(ProjectFacts.runMounterdHelp(repository).replaceAll("\\s+", " "));
        assertTrue(inHelp.find(), "mounterd --help gives no wait past --max-requests");
        for (String doc : List.of("README.md", "docs/protocol.md", "docs/operations.md")) {
            Matcher inDoc = WAIT_PAST_THE_BOUND.matcher(repository.read(doc).replace("**", "").replaceAll("\\s+", " "));
            assertTrue(inDoc.find(), doc + " gives no wait past --max-requests");
            assertEquals(inHelp.group(1), inDoc.group(1), doc + " and mounterd --help differ on the wait");
        }
    }
}
