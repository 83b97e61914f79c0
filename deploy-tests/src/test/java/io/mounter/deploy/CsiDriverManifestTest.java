package io.mounter.deploy;

import org.junit.jupiter.api.Test;

/** csi-driver/: the CSIDriver, the DaemonSet with the CSI door on, the examples. */
class CsiDriverManifestTest {
    private final CsiChecks.Files files = CsiChecks.Files.read(Fixtures.repository());

    @Test
    void theCsiDriverIsNodeOnlyAndNamedAsMounterdNamesItself() {
        CsiChecks.csiDriver(files, Fixtures.facts());
    }

    @Test
    void theDaemonSetIsThePlainOneWithTheCsiDoorOn() {
        CsiChecks.daemonSet(files, Manifests.daemonSetFile(Fixtures.repository()));
    }

    @Test
    void mounterdKubeletAndTheSidecarsMeetAtOneSocket() {
        CsiChecks.socketPaths(CsiChecks.daemonSet(files, Manifests.daemonSetFile(Fixtures.repository())));
    }

    @Test
    void theExamplesNameTheDriverAndAVolumeMounterdAllows() {
        CsiChecks.examples(files, CsiChecks.csiDriver(files, Fixtures.facts()).getMetadata().getName());
    }
}
