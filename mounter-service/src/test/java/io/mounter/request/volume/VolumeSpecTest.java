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
        assertTrue(spec.secretsInOptions(), "a secret among the options");
        assertNull(spec.input().stdin());
        assertEquals(Map.of(), spec.input().files());
    }

    /** Threat: a password on the helper's command line, which ps shows to everyone on the node. */
    @Test
    void sshfsReadsItsPasswordOnStdinNeverFromItsOptions() {
        VolumeSpec spec = VolumeSpec.of(Map.of("fstype", "sshfs", "source", "u@h:/d"), List.of(),
                Map.of("password", "hunter2"));
        assertEquals("password_stdin", spec.options());
        assertFalse(spec.secretsInOptions());
        assertArrayEquals("hunter2\n".getBytes(StandardCharsets.UTF_8), spec.input().stdin());
        assertFalse(spec.toString().contains("hunter2"));
        assertFalse(spec.input().toString().contains("hunter2"));
    }

    /** An ssh key and an rclone config are files the helper reads, named in its options. */
    @Test
    void keysAndConfigsBecomeFilesInTheHelpersOwnTmpfs() {
        VolumeSpec spec = VolumeSpec.of(Map.of("fstype", "sshfs", "source", "u@h:/d"), List.of(),
                Map.of("ssh-privatekey", "-----BEGIN KEY-----\nsecret\n"));
        assertEquals("IdentityFile=/run/mounter-secrets/ssh-privatekey", spec.options());
        assertEquals(Map.of("ssh-privatekey", "-----BEGIN KEY-----\nsecret\n"), spec.input().files());
        VolumeSpec rclone = VolumeSpec.of(Map.of("fstype", "rclone", "source", "remote:bucket"), List.of(),
                Map.of("rclone.conf", "[remote]\ntype = s3\n"));
        assertEquals("config=/run/mounter-secrets/rclone.conf", rclone.options());
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
