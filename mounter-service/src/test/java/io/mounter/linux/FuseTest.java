package io.mounter.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FuseTest {
    @Test
    void theFuseFamilyByType() {
        assertTrue(Fuse.isFuseType("fuse"));
        assertTrue(Fuse.isFuseType("fuse.sshfs"));
        assertTrue(Fuse.isFuseType("fuseblk"));
        assertTrue(Fuse.isFuseType("fuseblk.ntfs"));
        assertFalse(Fuse.isFuseType("fusectl"), "the control filesystem is no FUSE mount");
        assertFalse(Fuse.isFuseType("tmpfs"));
        assertEquals("fuse", Fuse.baseType("fuse.sshfs"));
        assertEquals("fuseblk", Fuse.baseType("fuseblk.ntfs"));
        assertEquals("tmpfs", Fuse.baseType("tmpfs"));
        assertEquals("ext4.x", Fuse.baseType("ext4.x"), "only FUSE types have subtypes");
    }

    @Test
    void aFuseMountMadeWithASubtypeOptionIsShownWithIt() {
        assertTrue(Fuse.isShownAs("fuse", "fuse.sshfs"));
        assertTrue(Fuse.isShownAs("fuse.sshfs", "fuse.sshfs"));
        assertTrue(Fuse.isShownAs("fuseblk", "fuseblk.ntfs"));
        assertFalse(Fuse.isShownAs("fuse.sshfs", "fuse"));
        assertFalse(Fuse.isShownAs("fuse", "fuseblk"));
        assertFalse(Fuse.isShownAs("tmpfs", "tmpfs.x"));
    }

    @Test
    void theConnectionIsTheMinorOfAnAnonymousDevice() {
        assertEquals(42, Fuse.connection("fuse.sshfs", new DeviceNumber(0, 42)));
        assertEquals(-1, Fuse.connection("tmpfs", new DeviceNumber(0, 42)), "not FUSE");
        assertEquals(-1, Fuse.connection("fuseblk", new DeviceNumber(8, 1)), "a block device's FUSE mount");
        assertEquals(-1, Fuse.connection("fuse", null), "unknown device");
    }
}
