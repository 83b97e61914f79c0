package io.mounter.fuzz;

import io.mounter.linux.Fuse;
import io.mounter.linux.Errno;
import io.mounter.linux.MountFlags;
import io.mounter.policy.AttachedDescriptor;
import io.mounter.policy.AuthorizedMount;
import io.mounter.policy.ContainedPath;
import io.mounter.policy.MountPolicy;
import io.mounter.policy.Refusal;
import io.mounter.protocol.Request;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What must hold of anything the policy lets through, whatever was asked: checked here
 * from first principles, not by calling the policy's own helpers, so a bug there cannot
 * hide itself.
 */
public final class MountInvariants {
    /** Every flag a forwarded mount may carry (docs/security.md); anything else is refused. */
    private static final long ALLOWED_FLAGS = MountFlags.MS_RDONLY | MountFlags.MS_NOSUID | MountFlags.MS_NODEV
            | MountFlags.MS_NOEXEC | MountFlags.MS_NOSYMFOLLOW | MountFlags.MS_SYNCHRONOUS | MountFlags.MS_DIRSYNC
            | MountFlags.MS_NOATIME | MountFlags.MS_NODIRATIME | MountFlags.MS_RELATIME | MountFlags.MS_STRICTATIME
            | MountFlags.MS_LAZYTIME | MountFlags.MS_SILENT | MountFlags.MS_POSIXACL | MountFlags.MS_I_VERSION;

    private MountInvariants() {
    }

    /** A refusal says why and carries EPERM or EINVAL, nothing else. */
    public static void checkRefusal(Refusal refusal) {
        require(refusal.errno() == Errno.EPERM || refusal.errno() == Errno.EINVAL,
                "refusal with errno " + refusal.errno() + ": " + refusal.getMessage());
        require(refusal.getMessage() != null && !refusal.getMessage().isBlank(), "refusal without a reason");
    }

    /** Checks an authorized mount against the request and descriptor it came from. */
    public static void check(MountPolicy policy, Request.Mount request, AttachedDescriptor fd, AuthorizedMount mount) {
        String context = " (request " + request + ", fd " + fd + ", authorized " + mount + ")";
        require(policy.fstypes().contains(mount.fstype()) && mount.fstype().equals(request.fstype()),
                "fstype not allowed or changed" + context);
        checkTarget(policy, request.target(), mount.target(), context);
        require((mount.flags() & ~ALLOWED_FLAGS) == 0, "a flag outside the allow-list: "
                + MountFlags.describe(mount.flags() & ~ALLOWED_FLAGS) + context);
        require((request.flags() & ~MountFlags.MS_MGC_MSK & ~mount.flags()) == 0, "a requested flag was dropped" + context);
        String data = mount.data() == null ? "" : mount.data();
        require(data.getBytes(StandardCharsets.UTF_8).length < 4096, "options of 4096 bytes or more" + context);
        List<String> fdOptions = optionsWithKey(data, "fd");
        List<String> requestedFdOptions = optionsWithKey(request.data() == null ? "" : request.data(), "fd");
        if (Fuse.isFuseType(mount.fstype())) {
            long forced = MountFlags.MS_NOSUID | MountFlags.MS_NODEV;
            require((mount.flags() & forced) == forced, "FUSE mount without nosuid,nodev" + context);
            require(fd != null && fd.isFuseDevice(), "FUSE mount without an attached /dev/fuse" + context);
            require(request.announcesDescriptor(), "FUSE mount whose descriptor was not announced" + context);
            require(fdOptions.equals(List.of("fd=" + fd.localFd())), "fd= is not exactly the local descriptor" + context);
            require(requestedFdOptions.equals(List.of("fd=" + request.senderFd())),
                    "the request's fd= did not name the announced descriptor" + context);
            require(withoutFd(data).equals(withoutFd(request.data() == null ? "" : request.data())),
                    "options other than fd= changed" + context);
        } else {
            require(fd == null && !request.announcesDescriptor() && fdOptions.isEmpty() && requestedFdOptions.isEmpty(),
                    "a descriptor on a mount that is not FUSE" + context);
            require(data.equals(request.data() == null ? "" : request.data()), "options changed" + context);
        }
    }

    /**
     * The target is strictly below an allowed prefix, reached without "." or ".." (in the
     * request either), and names the same path the request named.
     */
    public static void checkTarget(MountPolicy policy, String requested, ContainedPath target, String context) {
        require(policy.targetPrefixes().contains(target.prefix()), "prefix not in the policy" + context);
        require(!target.relative().isEmpty() && !target.relative().startsWith("/") && !target.relative().endsWith("/"),
                "empty or unnormalised rest" + context);
        for (String component : target.relative().split("/", -1)) {
            require(!component.isEmpty() && !component.equals(".") && !component.equals(".."),
                    "component '" + component + "' in the rest" + context);
        }
        String full = target.full();
        String base = target.prefix().equals("/") ? "/" : target.prefix() + "/";
        require(full.startsWith(base) && full.length() > base.length(), "not strictly below its prefix" + context);
        require(requested.startsWith("/"), "a relative request was accepted" + context);
        List<String> requestedParts = new ArrayList<>();
        for (String part : requested.split("/")) {
            require(!part.equals(".") && !part.equals(".."), "a . or .. component was accepted" + context);
            if (!part.isEmpty()) {
                requestedParts.add(part);
            }
        }
        require(full.equals("/" + String.join("/", requestedParts)), "not the path the request named" + context);
    }

    /**
     * Options {@code key=VALUE}: the kernel splits an option at its first '='. (A bare
     * {@code fd} has no value, and FUSE's parser refuses it: the mount fails.)
     */
    private static List<String> optionsWithKey(String data, String key) {
        List<String> found = new ArrayList<>();
        if (!data.isEmpty()) {
            for (String option : data.split(",", -1)) {
                if (option.startsWith(key + "=")) {
                    found.add(option);
                }
            }
        }
        return found;
    }

    private static List<String> withoutFd(String data) {
        List<String> rest = new ArrayList<>(Arrays.asList(data.split(",", -1)));
        rest.removeIf(option -> option.equals("fd") || option.startsWith("fd="));
        return rest;
    }

    private static void require(boolean holds, String what) {
        if (!holds) {
            throw new AssertionError(what);
        }
    }
}
