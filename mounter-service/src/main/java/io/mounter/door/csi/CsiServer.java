package io.mounter.door.csi;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.mounter.door.SocketFile;
import io.mounter.request.volume.VolumeOperations;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * The CSI node door: gRPC (grpc-java over its own shaded Netty, epoll) on a unix socket,
 * kubelet's plugin socket, conventionally /var/lib/kubelet/plugins/DRIVER/csi.sock. The
 * socket is 0600 in a directory only root may write, as mounterd's own. Calls run on a
 * pool of their own ({@code csi-N}, ordinary threads of the mount container): a stage
 * waits on its helper for up to a minute, and must not hold Netty's event loop.
 */
public final class CsiServer implements AutoCloseable {
    private static final int SOCKET_MODE = 0600;
    /** Calls handled at once; more wait in gRPC's queue. Each volume still takes one call at a time. */
    private static final int CALL_THREADS = 16;

    private final Server server;
    private final EventLoopGroup loop;
    private final ExecutorService calls;
    private final Path socket;

    private CsiServer(Server server, EventLoopGroup loop, ExecutorService calls, Path socket) {
        this.server = server;
        this.loop = loop;
        this.calls = calls;
        this.socket = socket;
    }

    /**
     * Listens on {@code socket} and serves Identity and Node.
     *
     * @throws IOException if the socket's directory is unsafe, the path taken, or the bind fails
     */
    public static CsiServer start(Path socket, String driverName, String nodeId, VolumeOperations volumes,
                                  BooleanSupplier ready) throws IOException {
        Path directory = socket.toAbsolutePath().getParent();
        Files.createDirectories(directory,
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        SocketFile.checkDirectory(directory);
        SocketFile.replaceStale(socket);
        EventLoopGroup loop = new EpollEventLoopGroup(1, named("csi-io"));
        ExecutorService calls = Executors.newFixedThreadPool(CALL_THREADS, named("csi"));
        try {
            Server server = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                    .channelType(EpollServerDomainSocketChannel.class)
                    .bossEventLoopGroup(loop).workerEventLoopGroup(loop).executor(calls)
                    .addService(new IdentityService(driverName, ready))
                    .addService(new NodeService(volumes, nodeId))
                    .build().start();
            CsiServer started = new CsiServer(server, loop, calls, socket);
            try {
                SocketFile.ensureMode(socket, SOCKET_MODE);
            } catch (IOException | RuntimeException e) {
                started.close();
                throw e;
            }
            return started;
        } catch (IOException | RuntimeException e) {
            loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            calls.shutdownNow();
            throw e;
        }
    }

    private static ThreadFactory named(String kind) {
        AtomicInteger next = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, kind + "-" + next.getAndIncrement());
            thread.setDaemon(true);
            return thread;
        };
    }

    /** Stops listening, lets calls in flight end (2 s at most), removes the socket. */
    @Override
    public void close() {
        server.shutdown();
        try {
            server.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server.shutdownNow();
        calls.shutdownNow();
        loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
        SocketFile.remove(socket);
    }
}
