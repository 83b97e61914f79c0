package io.mounter.request.volume;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VolumeSpecTest {
    @Test
    void theContextsOptionsThenTheMountFlagsThenTheSecretsAsOptions() {
        VolumeSpec spec = VolumeSpec.of(Map.of("fstype", "glusterfs", "source", "srv:/v", "options", "log-level=WARNING"),
                List.of("ro", " "), Map.of("user", "bob"));
        assertEquals("glusterfs", spec.fstype());
        assertEquals("srv:/v", spec.source());
        assertEquals("log-level=WARNING,ro,user=bob", spec.options());
        assertNull(spec.input());
    }

    /** Threat: a password on the helper's command line, which ps shows to everyone on the node. */
    @Test
    void sshfsReadsItsPasswordOnStdinNeverFromItsOptions() {
        VolumeSpec spec = VolumeSpec.of(Map.of("fstype", "sshfs", "source", "u@h:/d"), List.of(),
                Map.of("password", "hunter2"));
        assertEquals("password_stdin", spec.options());
        assertArrayEquals("hunter2\n".getBytes(StandardCharsets.UTF_8), spec.input());
        assertFalse(spec.toString().contains("hunter2"));
    }

    @Test
    void fstypeAndSourceAreRequired() {
        VolumeError missing = assertThrows(VolumeError.class, () -> VolumeSpec.of(Map.of("source", "s"), List.of(),
                Map.of()));
        assertEquals(VolumeError.Kind.INVALID_ARGUMENT, missing.kind());
        assertTrue(missing.getMessage().contains("fstype"));
        assertThrows(VolumeError.class, () -> VolumeSpec.of(Map.of("fstype", "sshfs", "source", " "), List.of(),
                Map.of()));
    }

    @Test
    void aMountLandsAsItsTypeOrItsFuseForm() {
        VolumeSpec glusterfs = VolumeSpec.of(Map.of("fstype", "glusterfs", "source", "s"), List.of(), Map.of());
        assertTrue(glusterfs.landsAs("fuse.glusterfs"));
        assertFalse(glusterfs.landsAs("fuse.sshfs"));
        VolumeSpec fuse = VolumeSpec.of(Map.of("fstype", "fuse", "source", "bindfs#/src"), List.of(), Map.of());
        assertTrue(fuse.landsAs("fuse.bindfs"), "mount.fuse names its daemon in the source");
        assertEquals("/src", fuse.shownSource());
        assertEquals("s", glusterfs.shownSource());
        assertTrue(VolumeSpec.isEphemeral(Map.of("csi.storage.k8s.io/ephemeral", "true")));
    }
}
