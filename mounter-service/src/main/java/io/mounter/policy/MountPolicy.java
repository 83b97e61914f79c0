package io.mounter.policy;

import io.mounter.linux.Errno;
import io.mounter.linux.Fuse;
import io.mounter.linux.MountFlags;
import io.mounter.linux.PeerCredentials;
import io.mounter.protocol.Limits;
import io.mounter.protocol.Request;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * What mounterd lets through. Every check here stops a named attack; anything not
 * explicitly allowed is refused with EPERM (policy) or EINVAL (malformed), and nothing is
 * mounted.
 */
public record MountPolicy(Set<String> fstypes, List<String> targetPrefixes, Set<Integer> uids) {
    /**
     * Plain {@code fuse} is not among them: it is what libfuse asks for when its fuse.TYPE
     * was refused (the fusermount fallback without the subtype), so allowing it would let
     * every refused daemon through unnamed.
     */
    public static final String DEFAULT_FSTYPE_LIST = "fuse.glusterfs fuse.sshfs fuse.bindfs fuse.rclone";
    public static final Set<String> DEFAULT_FSTYPES = Set.of(DEFAULT_FSTYPE_LIST.split(" "));
    public static final List<String> DEFAULT_PREFIXES =
            List.of("/var/lib/kubelet/pods", "/var/lib/kubelet/plugins");

    private static final long FUSE_FORCED = MountFlags.MS_NOSUID | MountFlags.MS_NODEV;

    public MountPolicy {
        fstypes = Set.copyOf(fstypes);
        targetPrefixes = targetPrefixes.stream().map(ContainedPath::normalize).distinct().toList();
        uids = Set.copyOf(uids);
    }

    /** Only peers whose uid is listed may ask: the socket mode is a second, not the only, gate. */
    public void checkPeer(PeerCredentials peer) {
        if (!uids.contains(peer.uid())) {
            throw new Refusal(Errno.EPERM, "peer uid " + peer.uid() + " (pid " + peer.pid() + ") may not ask mounterd");
        }
    }

    /**
     * Checks a mount request with the descriptor that came with it (or null).
     *
     * @throws Refusal with EPERM or EINVAL; the caller then mounts nothing
     */
    public AuthorizedMount authorizeMount(Request.Mount request, AttachedDescriptor fd) {
        return authorizeMount(request, fd, Optional::empty);
    }

    /**
     * As {@link #authorizeMount(Request.Mount, AttachedDescriptor)}; a FUSE mount asked as
     * plain {@code fuse} (no subtype anywhere) is made, and judged, as fuse.NAME with NAME
     * from {@code daemonName} (its program), if it gives one.
     */
    public AuthorizedMount authorizeMount(Request.Mount request, AttachedDescriptor fd,
                                          Supplier<Optional<String>> daemonName) {
        if (!Fuse.isFuseType(request.fstype()) && !fstypes.contains(request.fstype())) {
            throw new Refusal(Errno.EPERM, "fstype " + request.fstype() + " is not allowed");
        }
        ContainedPath target = ContainedPath.within(request.target(), targetPrefixes);
        long flags = MountFlags.withoutMagic(request.flags());
        String flagProblem = FlagRule.refusalReason(flags);
        if (flagProblem != null) {
            throw new Refusal(Errno.EPERM, flagProblem);
        }
        String data = request.data() == null ? "" : request.data();
        if (data.length() > Limits.DATA_MAX) {
            throw new Refusal(Errno.EINVAL, "option string longer than one page");
        }
        MountOptions options = MountOptions.parse(data);
        if (!Fuse.isFuseType(request.fstype())) {
            // A descriptor on a non-FUSE mount has no meaning and may be a confused deputy.
            requireNoDescriptor(request, fd, options);
            return new AuthorizedMount(request.source(), target, request.fstype(), flags, kernelSized(data));
        }
        MountOptions rewritten = fuseOptions(request, fd, options);
        String recorded = recordedFuseType(request.fstype(), rewritten);
        String declared = recorded.equals(request.fstype()) ? "" : " (" + request.fstype() + " with its subtype= option)";
        if (!recorded.contains(".")) {
            Optional<String> name = daemonName.get();
            if (name.isPresent()) {
                recorded = recorded + "." + name.get();
                declared = " (" + request.fstype() + ", named after its daemon's program)";
            }
        }
        if (!fstypes.contains(recorded)) {
            throw new Refusal(Errno.EPERM, "fstype " + recorded + declared + " is not allowed");
        }
        if (!rewritten.values("source").isEmpty()) {
            throw new Refusal(Errno.EPERM, "a source= option would replace the mount's source; it is the request's");
        }
        // setuid binaries or device nodes served by a container would be a host escape.
        return new AuthorizedMount(request.source(), target, recorded, flags | FUSE_FORCED,
                kernelSized(rewritten.without("subtype").toString()));
    }

    /**
     * Threat: the kernel records a FUSE mount as {@code fuse.SUBTYPE} with SUBTYPE from a
     * {@code subtype=} option as well as from the type's name, so {@code fuse} with
     * {@code subtype=evil} would pass a policy that allows plain {@code fuse} and show as
     * {@code fuse.evil}. The policy decides on the type the kernel records, and the mount is
     * made with that type and no subtype= option.
     */
    private static String recordedFuseType(String fstype, MountOptions options) {
        List<String> subtypes = options.values("subtype");
        if (subtypes.isEmpty()) {
            return fstype;
        }
        if (subtypes.size() > 1 || fstype.contains(".") || subtypes.get(0).isEmpty()
                || subtypes.get(0).contains("/")) {
            throw new Refusal(Errno.EINVAL, "a FUSE subtype given twice, or empty, in " + fstype + " and its options");
        }
        return fstype + "." + subtypes.get(0);
    }

    /**
     * mount(2) copies one page of options and overwrites its last byte with NUL, so a longer
     * string reaches the filesystem cut short, other than checked here: fd=3 rewritten to
     * fd=123 could arrive as fd=12, another caller's /dev/fuse held by mounterd.
     */
    private static String kernelSized(String data) {
        if (data.getBytes(StandardCharsets.UTF_8).length >= Limits.DATA_MAX) {
            throw new Refusal(Errno.EINVAL, "option string longer than " + (Limits.DATA_MAX - 1)
                    + " bytes, the most mount(2) keeps");
        }
        return data;
    }

    private static void requireNoDescriptor(Request.Mount request, AttachedDescriptor fd, MountOptions options) {
        if (fd != null || request.announcesDescriptor() || !options.values("fd").isEmpty()) {
            throw new Refusal(Errno.EINVAL, "a descriptor belongs only to FUSE mounts");
        }
    }

    /**
     * A FUSE mount names its channel with exactly one {@code fd=}. It must be the attached
     * descriptor, and that must be /dev/fuse: any other fd (a socket, a file) handed to the
     * kernel's FUSE parser would let the caller feed mounterd's mount someone else's file.
     */
    private static MountOptions fuseOptions(Request.Mount request, AttachedDescriptor fd, MountOptions options) {
        List<String> fdValues = options.values("fd");
        if (fd == null || !request.announcesDescriptor()) {
            throw new Refusal(Errno.EINVAL, "a FUSE mount needs its /dev/fuse descriptor attached and announced");
        }
        if (fdValues.size() != 1) {
            throw new Refusal(Errno.EINVAL, "a FUSE mount needs exactly one fd= option, found " + fdValues.size());
        }
        if (!fdValues.get(0).equals(Integer.toString(request.senderFd()))) {
            throw new Refusal(Errno.EINVAL, "fd=" + fdValues.get(0) + " does not name the attached descriptor "
                    + request.senderFd());
        }
        if (!fd.isFuseDevice()) {
            throw new Refusal(Errno.EPERM, "the attached descriptor is not /dev/fuse");
        }
        return options.with("fd", Integer.toString(fd.localFd()));
    }

    /**
     * Checks a request to run the mount helper: its type must map to an allowed fstype
     * (T itself or fuse.T: mount -t glusterfs mounts fuse.glusterfs), and the target obeys
     * the mount rules. The helper's own mount() is checked again in full when it arrives.
     * Source and options may not look like mount(8) options (option injection).
     */
    public ContainedPath authorizeHelperMount(Request.RunMount request) {
        if (!allowsHelperType(request.fstype())) {
            throw new Refusal(Errno.EPERM, "fstype " + request.fstype() + " is not allowed");
        }
        if (request.source().isEmpty() || request.source().startsWith("-")) {
            throw new Refusal(Errno.EINVAL, "source must be non-empty and not start with '-'");
        }
        String options = request.options() == null ? "" : request.options();
        if (options.length() > Limits.DATA_MAX || options.startsWith("-")) {
            throw new Refusal(Errno.EINVAL, "options too long or starting with '-'");
        }
        return ContainedPath.within(request.target(), targetPrefixes);
    }

    /**
     * T itself or fuse.T; and {@code fuse} (mount.fuse: "mount -t fuse bindfs#SRC") while any
     * FUSE type is allowed, since the daemon it runs is named, and judged, when it mounts.
     */
    private boolean allowsHelperType(String fstype) {
        if (fstype.equals("fuse")) {
            return fstypes.stream().anyMatch(Fuse::isFuseType);
        }
        return fstypes.contains(fstype) || fstypes.contains("fuse." + fstype);
    }

    /** Checks an unmount request: the same target rules as a mount, and known flags only. */
    public ContainedPath authorizeUnmount(Request.Umount request) {
        if ((request.flags() & ~MountFlags.UMOUNT_ALL) != 0) {
            throw new Refusal(Errno.EINVAL, "unknown umount2 flags 0x" + Integer.toHexString(request.flags()));
        }
        return ContainedPath.within(request.target(), targetPrefixes);
    }
}
