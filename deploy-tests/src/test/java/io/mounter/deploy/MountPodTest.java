package io.mounter.deploy;

import io.mounter.deploy.Manifests.MountPod;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The mount container's pod, in the static pod and in the DaemonSet, point by point. */
class MountPodTest {

    static Stream<MountPod> pods() {
        RepositoryFiles repository = Fixtures.repository();
        return Stream.of(Manifests.mountPod(Manifests.staticPod(repository)), Manifests.daemonSetFile(repository).pod());
    }

    @ParameterizedTest
    @MethodSource("pods")
    void carriesTheLabelKubeletMounterSelects(MountPod pod) {
        MountPodChecks.labels(pod);
    }

    @ParameterizedTest
    @MethodSource("pods")
    void runsOnTheHostNetworkAsNodeCritical(MountPod pod) {
        MountPodChecks.podSpec(pod);
    }

    @ParameterizedTest
    @MethodSource("pods")
    void runsTheImageEntrypointPrivileged(MountPod pod) {
        MountPodChecks.container(pod);
    }

    @ParameterizedTest
    @MethodSource("pods")
    void requestsAndLimitsResources(MountPod pod) {
        MountPodChecks.resources(pod);
    }

    @ParameterizedTest
    @MethodSource("pods")
    void noLivenessProbeAndReadinessByHttpGet(MountPod pod) {
        MountPodChecks.probes(pod, Fixtures.facts());
    }

    @ParameterizedTest
    @MethodSource("pods")
    void mountsExactlyTheContractsHostPaths(MountPod pod) {
        MountPodChecks.volumes(pod);
    }

    @ParameterizedTest
    @MethodSource("pods")
    void setsTheEntrypointsEnvironment(MountPod pod) {
        MountPodChecks.environment(pod);
    }

    @ParameterizedTest
    @MethodSource("pods")
    void usesTheImageOfContainerImageFile(MountPod pod) {
        ConsistencyChecks.image(pod, Fixtures.facts());
    }

    @ParameterizedTest
    @MethodSource("pods")
    void sharesMounterdsDefaultSocket(MountPod pod) {
        ConsistencyChecks.socket(pod, Fixtures.facts());
    }

    @ParameterizedTest
    @MethodSource("pods")
    void findsTheHostNamespaceThroughHostProc(MountPod pod) {
        ConsistencyChecks.hostMountNamespace(pod, Fixtures.facts());
    }

    @ParameterizedTest
    @MethodSource("pods")
    void keepsMounterdsStateOnTheHost(MountPod pod) {
        ConsistencyChecks.stateDir(pod, Fixtures.facts());
    }

    @ParameterizedTest
    @MethodSource("pods")
    void installsKubeletMounterWhereKubeletRunsIt(MountPod pod) {
        ConsistencyChecks.kubeletMounterInstallDir(pod, Fixtures.facts());
    }

    @ParameterizedTest
    @MethodSource("pods")
    void writesTheConfigWhereKubeletMounterReadsIt(MountPod pod) {
        ConsistencyChecks.kubeletMounterConfigDir(pod, Fixtures.facts());
    }

    @ParameterizedTest
    @MethodSource("pods")
    void isFoundByTheDefaultRoute(MountPod pod) {
        ConsistencyChecks.defaultRoutes(pod, Fixtures.facts());
    }
}
