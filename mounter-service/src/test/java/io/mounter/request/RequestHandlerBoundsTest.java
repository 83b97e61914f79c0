package io.mounter.request;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.observability.RequestObserver;
import io.mounter.protocol.Operation;
import io.mounter.table.MountRecord;
import io.mounter.table.MountTable;
import io.mounter.linux.DeviceNumber;
import io.mounter.linux.Errno;
import io.mounter.linux.PeerCredentials;
import io.mounter.linux.ReceivedMessage;
import io.mounter.linux.SyscallException;
import io.mounter.policy.MountPolicy;
import io.mounter.protocol.MessageCodec;
import io.mounter.protocol.MountEntry;
import io.mounter.protocol.Reply;
import io.mounter.protocol.Request;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The request handler with its bound on requests in flight, and unmounts beside the watcher. */
@Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RequestHandlerBoundsTest {
    private static final String TARGET = "/var/lib/kubelet/pods/p/volumes/v";
    private static final PeerCredentials ROOT = new PeerCredentials(4321, 0, 0);

    private final FakeExecutor mounter = new FakeExecutor();
    private final MountTable table = new MountTable();
    private final RequestHandlerTest.FakeHelper helper = new RequestHandlerTest.FakeHelper();
    private final RequestHandler handler = new RequestHandler(
            new MountPolicy(MountPolicy.DEFAULT_FSTYPES, MountPolicy.DEFAULT_PREFIXES, Set.of(0)), mounter, table,
            Clock.systemUTC(), helper, Map::of);

    private Reply handle(Request request) {
        return MessageCodec.decodeReply(Wire.handle(handler, 
                new ReceivedMessage(MessageCodec.encodeRequest(request), new int[0], false, false), ROOT));
    }

    private static MountRecord record() {
        return new MountRecord(new MountEntry("s", TARGET, "fuse.sshfs", 1, 2, 0), new DeviceNumber(0, 40));
    }

    @Test
    void pastTheBoundARequestIsAnsweredEagainAndObservedAsSuch() throws Exception {
        List<String> observed = new CopyOnWriteArrayList<>();
        handler.setObserver(new RequestObserver() {
            @Override
            public void observe(Operation operation, int errno, long nanos) {
                observed.add(operation + " " + errno);
            }

            @Override
            public void malformed(int errno, long nanos) {
                observed.add("MALFORMED " + errno);
            }
        });
        handler.setGate(new RequestGate(1));
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        helper.whileRunning = () -> {
            running.countDown();
            try {
                release.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        CompletableFuture<Reply> slow = CompletableFuture.supplyAsync(
                () -> handle(new Request.RunMount(1, "src", TARGET, "fuse.sshfs", "", 0)));
        assertTrue(running.await(5, TimeUnit.SECONDS));

        Reply busy = handle(new Request.List(2, 0));
        assertEquals(Errno.EAGAIN, busy.status(), busy.message());
        assertEquals(0, handle(new Request.Status(3)).status(), "STATUS passes");
        release.countDown();
        assertEquals(0, slow.get(5, TimeUnit.SECONDS).status());
        assertEquals(0, handle(new Request.List(4, 0)).status(), "the permit came back");
        assertTrue(observed.contains("LIST " + Errno.EAGAIN), observed.toString());
    }

    @Test
    void anUnmountTakesTheNewestRecordAndAFailedOneLeavesItToTheWatcherAgain() {
        MountRecord lower = record();
        MountRecord upper = record();
        table.add(lower);
        table.add(upper);

        mounter.failWith = new SyscallException("umount2", TARGET, Errno.EBUSY, "busy");
        assertEquals(Errno.EBUSY, handle(new Request.Umount(1, TARGET, 0)).status());
        assertEquals(2, table.settledBy(table.generation()).size(), "the failed unmount's claim was released");

        mounter.failWith = null;
        assertEquals(0, handle(new Request.Umount(2, TARGET, 0)).status());
        assertEquals(1, table.size());
        assertSame(lower, table.snapshot().get(0), "the newest record went with the top mount");
    }
}
