package io.mounter.table;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mounter.linux.DeviceNumber;
import io.mounter.protocol.MountEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MountRecordTest {
    private static MountRecord record(String fstype, DeviceNumber device) {
        return new MountRecord(new MountEntry("s", "/var/lib/kubelet/pods/p", fstype, 1, 2, 0), device);
    }

    @ParameterizedTest
    @ValueSource(strings = {"fuse", "fuse.sshfs", "fuse.glusterfs"})
    void aFuseMountOnAnAnonymousDeviceIsNamedByItsMinor(String fstype) {
        assertEquals(39, record(fstype, new DeviceNumber(0, 39)).fuseConnection());
        assertEquals(0, record(fstype, new DeviceNumber(0, 0)).fuseConnection());
    }

    @ParameterizedTest
    @ValueSource(strings = {"tmpfs", "ext4", "nfs"})
    void otherTypesHaveNoConnectionEvenOnMajor0(String fstype) {
        assertEquals(-1, record(fstype, new DeviceNumber(0, 39)).fuseConnection());
    }

    @Test
    void anUnknownDeviceHasNoConnection() {
        assertEquals(-1, record("fuse.sshfs", null).fuseConnection());
    }

    @Test
    void aFuseblkMountOnABlockDeviceHasNoConnection() {
        assertEquals(-1, record("fuseblk", new DeviceNumber(8, 1)).fuseConnection());
    }

    @Test
    void aDeviceNumberPrintsAsMajorColonMinor() {
        assertEquals("0:39", new DeviceNumber(0, 39).toString());
    }
}
