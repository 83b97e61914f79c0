package io.mounter.policy;

import static io.mounter.linux.MountFlags.*;

import java.util.List;

/**
 * Which mount(2) flags a forwarded request may carry, and the attack each refused one
 * would open. Unknown bits are refused too.
 */
record FlagRule(long flag, boolean allowed, String why) {
    static final List<FlagRule> RULES = List.of(
            new FlagRule(MS_RDONLY, true, "narrows access"),
            new FlagRule(MS_NOSUID, true, "narrows access"),
            new FlagRule(MS_NODEV, true, "narrows access"),
            new FlagRule(MS_NOEXEC, true, "narrows access"),
            new FlagRule(MS_NOSYMFOLLOW, true, "narrows access"),
            new FlagRule(MS_SYNCHRONOUS, true, "i/o mode only"),
            new FlagRule(MS_DIRSYNC, true, "i/o mode only"),
            new FlagRule(MS_NOATIME, true, "i/o mode only"),
            new FlagRule(MS_NODIRATIME, true, "i/o mode only"),
            new FlagRule(MS_RELATIME, true, "i/o mode only"),
            new FlagRule(MS_STRICTATIME, true, "i/o mode only"),
            new FlagRule(MS_LAZYTIME, true, "i/o mode only"),
            new FlagRule(MS_SILENT, true, "quieter kernel log only"),
            new FlagRule(MS_POSIXACL, true, "set by the filesystem itself"),
            new FlagRule(MS_I_VERSION, true, "inode versioning only"),
            new FlagRule(MS_BIND, false, "a bind mount would expose any host path, e.g. /etc, inside an allowed prefix"),
            new FlagRule(MS_MOVE, false, "moving would carry a host mount out of its place"),
            new FlagRule(MS_REMOUNT, false, "remounting would change flags of a mount mounterd did not make"),
            new FlagRule(MS_REC, false, "recursive only makes sense with bind or propagation changes"),
            new FlagRule(MS_SHARED, false, "propagation changes would leak mounts between host and containers"),
            new FlagRule(MS_PRIVATE, false, "propagation changes would cut kubelet's view of its own mounts"),
            new FlagRule(MS_SLAVE, false, "propagation changes would cut kubelet's view of its own mounts"),
            new FlagRule(MS_UNBINDABLE, false, "propagation changes would break kubelet's bind mounts"),
            new FlagRule(MS_MANDLOCK, false, "mandatory locks let one client block the node"),
            new FlagRule(MS_KERNMOUNT, false, "kernel-internal flag"));

    /** The first rule that refuses a bit of {@code flags}, as a reason; null if all are allowed. */
    static String refusalReason(long flags) {
        long remaining = flags;
        for (FlagRule rule : RULES) {
            if ((flags & rule.flag) != 0) {
                if (!rule.allowed) {
                    return describe(rule.flag) + " is not allowed: " + rule.why;
                }
                remaining &= ~rule.flag;
            }
        }
        return remaining == 0 ? null : "unknown mount flags " + describe(remaining);
    }
}
