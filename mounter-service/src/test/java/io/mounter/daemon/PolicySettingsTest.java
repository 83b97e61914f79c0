package io.mounter.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.policy.MountPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class PolicySettingsTest {
    @TempDir
    Path dir;

    private static MountPolicy policy(String... args) {
        PolicySettings settings = new PolicySettings();
        new CommandLine(settings).parseArgs(args);
        return settings.toPolicy();
    }

    private Path file(String text) throws IOException {
        Path file = dir.resolve("policy");
        Files.writeString(file, text);
        return file;
    }

    private static <T> Set<T> plus(Set<T> base, T more) {
        Set<T> all = new LinkedHashSet<>(base);
        all.add(more);
        return all;
    }

    private static List<String> plus(List<String> base, String... more) {
        List<String> all = new ArrayList<>(base);
        all.addAll(List.of(more));
        return all;
    }

    @Test
    void withoutFlagsThePolicyIsTheDefault() {
        MountPolicy policy = policy();
        assertEquals(MountPolicy.DEFAULT_FSTYPES, policy.fstypes());
        assertEquals(MountPolicy.DEFAULT_PREFIXES, policy.targetPrefixes());
        assertEquals(Set.of(0), policy.uids());
    }

    @Test
    void flagsAddToTheDefaultsAndAUidReplacesRoot() {
        MountPolicy policy = policy("--allow-fstype", "tmpfs", "--allow-target-prefix", "/srv/mounts",
                "--allow-uid", "1000", "--allow-uid=1001");
        assertEquals(plus(MountPolicy.DEFAULT_FSTYPES, "tmpfs"), policy.fstypes());
        assertEquals(plus(MountPolicy.DEFAULT_PREFIXES, "/srv/mounts"), policy.targetPrefixes());
        assertEquals(Set.of(1000, 1001), policy.uids());
    }

    @Test
    void noDefaultPolicyStartsEmpty() {
        MountPolicy policy = policy("--no-default-policy", "--allow-fstype", "fuse.sshfs",
                "--allow-target-prefix", "/srv/mounts");
        assertEquals(Set.of("fuse.sshfs"), policy.fstypes());
        assertEquals(List.of("/srv/mounts"), policy.targetPrefixes());
        assertEquals(Set.of(0), policy.uids(), "root still, when no uid is named");
    }

    @Test
    void aPolicyFileHoldsTheSameFlagsOnePerLine() throws IOException {
        Path file = file("""
                # mounterd policy
                --allow-fstype tmpfs

                  --allow-target-prefix   /srv/my mounts
                --allow-uid=7
                # --allow-fstype ext4
                """);
        MountPolicy policy = policy("--policy", file.toString(), "--allow-fstype", "fuse.s3fs");
        assertEquals(plus(plus(MountPolicy.DEFAULT_FSTYPES, "tmpfs"), "fuse.s3fs"), policy.fstypes());
        assertEquals(plus(MountPolicy.DEFAULT_PREFIXES, "/srv/my mounts"), policy.targetPrefixes());
        assertEquals(Set.of(7), policy.uids());
    }

    @Test
    void aPolicyFileMayDropTheDefaults() throws IOException {
        Path file = file("--no-default-policy\n--allow-fstype fuse.sshfs\n--allow-target-prefix /srv\n");
        MountPolicy policy = policy("--policy", file.toString());
        assertEquals(Set.of("fuse.sshfs"), policy.fstypes());
        assertEquals(List.of("/srv"), policy.targetPrefixes());
    }

    @Test
    void aPolicyFileNamingAnotherIsRefused() throws IOException {
        Path inner = dir.resolve("inner");
        Files.writeString(inner, "--allow-fstype tmpfs\n");
        Path file = file("--policy " + inner + "\n");
        CommandLine.ParameterException e = assertThrows(CommandLine.ParameterException.class,
                () -> policy("--policy", file.toString()));
        assertTrue(e.getMessage().contains("--policy"), e.getMessage());
    }

    @Test
    void anUnknownFlagInAPolicyFileIsRefused() throws IOException {
        Path file = file("--allow-fstype tmpfs\n--allow-everything\n");
        assertThrows(CommandLine.ParameterException.class, () -> policy("--policy", file.toString()));
    }

    @Test
    void aMissingPolicyFileIsRefused() {
        assertThrows(CommandLine.ParameterException.class,
                () -> policy("--policy", dir.resolve("absent").toString()));
    }
}
