package io.mounter.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.policy.AttachedDescriptor;
import io.mounter.policy.AuthorizedMount;
import io.mounter.policy.ContainedPath;
import io.mounter.policy.MountPolicy;
import io.mounter.policy.Refusal;
import io.mounter.protocol.MalformedMessageException;
import io.mounter.protocol.MessageCodec;
import io.mounter.protocol.Request;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * MountPolicy against generated requests aimed at its edges (docs/testing.md): whatever it
 * authorizes has its target strictly below an allowed prefix with no "." or ".."
 * components, only allowed flags, nosuid and nodev on FUSE, exactly one fd= naming
 * mounterd's own copy of an attached /dev/fuse, and options under 4096 bytes; anything else
 * is a {@link Refusal} with EPERM or EINVAL, never another exception.
 */
class PolicyFuzzTest {
    private static final MountPolicy POLICY = new MountPolicy(
            Set.of("fuse", "fuse.sshfs", "fuse.glusterfs", "fuse.bindfs", "fuseblk.x", "tmpfs"),
            List.of(HostileInput.PODS, HostileInput.PLUGINS + "/"), Set.of(0));

    @Test
    void whatTheGeneratedRequestsGetAuthorizedIsSafe() {
        int[] outcomes = new int[2];
        FuzzRun.named("authorizeMount").forEach((random, iteration) -> {
            HostileInput input = new HostileInput(random);
            int localFd = input.localFd();
            Request.Mount request = input.mountRequest(localFd);
            AttachedDescriptor fd = input.descriptor(localFd);
            outcomes[authorize(request, fd) ? 0 : 1]++;
        });
        System.out.printf("authorizeMount: %d authorized, %d refused%n", outcomes[0], outcomes[1]);
        assertTrue(outcomes[0] > 1000 && outcomes[1] > 1000, "the generator reaches both outcomes often");
    }

    /** The same through the decoder: requests as mutated bytes, as they come off the socket. */
    @Test
    void whatDecodesFromMutatedBytesAndGetsAuthorizedIsSafe() {
        FuzzRun.named("decode+authorize").forEach((random, iteration) -> {
            HostileInput input = new HostileInput(random);
            Request request;
            try {
                request = MessageCodec.decodeRequest(input.message());
            } catch (MalformedMessageException e) {
                return;
            }
            if (request instanceof Request.Mount mount) {
                int localFd = input.localFd();
                authorize(mount, input.descriptor(localFd));
            } else if (request instanceof Request.Umount umount) {
                try {
                    ContainedPath target = POLICY.authorizeUnmount(umount);
                    MountInvariants.checkTarget(POLICY, umount.target(), target, " (" + umount + ")");
                } catch (Refusal refusal) {
                    MountInvariants.checkRefusal(refusal);
                }
            } else if (request instanceof Request.RunMount run) {
                try {
                    ContainedPath target = POLICY.authorizeHelperMount(run);
                    MountInvariants.checkTarget(POLICY, run.target(), target, " (" + run + ")");
                    assertTrue(!run.source().isEmpty() && !run.source().startsWith("-"), "source " + run.source());
                    assertTrue(run.options() == null || !run.options().startsWith("-"), "options " + run.options());
                } catch (Refusal refusal) {
                    MountInvariants.checkRefusal(refusal);
                }
            }
        });
    }

    private static boolean authorize(Request.Mount request, AttachedDescriptor fd) {
        AuthorizedMount mount;
        try {
            mount = POLICY.authorizeMount(request, fd);
        } catch (Refusal refusal) {
            MountInvariants.checkRefusal(refusal);
            return false;
        }
        MountInvariants.check(POLICY, request, fd, mount);
        return true;
    }
}
