package io.mounter.door;

import io.mounter.observability.Health;
import io.mounter.observability.MounterMetrics;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The status endpoint: HTTP/1.1 with {@code /healthz} and {@code /metrics}, served by one
 * Netty event loop thread ({@code http}), in the mount container's namespaces like every
 * thread of mounterd but the mount executor's.
 *
 * <p>Netty's NIO transport for TCP and the unix socket alike (Java 16's unix domain
 * channels): no native library is unpacked to a temporary directory and loaded, which
 * cost about 90 ms of the start.
 * Requests are small and rare: heap buffers, no pooling, a handful of connections.
 */
public final class StatusEndpoint implements AutoCloseable {
    /** Connections at once: a scraper, a probe, a person with curl. More are closed at once. */
    static final int MAX_CONNECTIONS = 16;
    private static final int IDLE_SECONDS = 30;
    /**
     * A request must be complete this long after the connection opened, or after the last
     * one was: Threat: clients that send a byte now and then (each resetting an idle timer)
     * would hold all {@link #MAX_CONNECTIONS} and keep the probe out.
     */
    static final int REQUEST_SECONDS = 5;
    private static final int MAX_REQUEST_BYTES = 8192;
    private static final String NETTY_MACHINE_ID = "io.netty.machineId";

    private final EventLoopGroup group;
    private final Channel channel;
    private final Path socketFile;
    private final AtomicBoolean closed = new AtomicBoolean();

    private StatusEndpoint(EventLoopGroup group, Channel channel, Path socketFile) {
        this.group = group;
        this.channel = channel;
        this.socketFile = socketFile;
    }

    /**
     * Listens at {@code address}; for {@link HttpListenAddress.Off} returns an endpoint that
     * serves nothing. A stale unix socket file is replaced; a live one, or a file that is not
     * a socket, is left alone and stops the start.
     *
     * @throws IOException if the address cannot be bound (in use, no permission)
     */
    public static StatusEndpoint start(HttpListenAddress address, MounterMetrics metrics, Health health)
            throws IOException {
        if (address instanceof HttpListenAddress.Off) {
            return new StatusEndpoint(null, null, null);
        }
        // Netty stamps channel ids with a MAC address, found by walking the network
        // interfaces, and warns when there is only lo. The ids mean nothing here: skip it.
        if (System.getProperty(NETTY_MACHINE_ID) == null) {
            System.setProperty(NETTY_MACHINE_ID, "02:00:00:00:00:01");
        }
        Transport transport = transport(address);
        ByteBufAllocator heap = new UnpooledByteBufAllocator(false);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(transport.group())
                .channel(transport.channelType())
                .option(ChannelOption.ALLOCATOR, heap)
                .childOption(ChannelOption.ALLOCATOR, heap)
                .childHandler(pipeline(new StatusPages(metrics, health)));
        if (transport.socketFile() == null) {
            bootstrap.option(ChannelOption.SO_REUSEADDR, true);
        }
        try {
            Channel channel = bootstrap.bind(transport.address()).sync().channel();
            if (transport.socketFile() != null) {
                Files.setPosixFilePermissions(transport.socketFile(), PosixFilePermissions.fromString("rw-------"));
            }
            return new StatusEndpoint(transport.group(), channel, transport.socketFile());
        } catch (Exception e) {
            transport.group().shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("cannot serve HTTP on " + address + ": " + e.getMessage(), e);
        }
    }

    /**
     * Starts the endpoint on a thread of its own: Netty's start (its classes loaded and
     * linked, about 80 ms on two cores) then overlaps the rest of mounterd's.
     */
    public static Starting startInBackground(HttpListenAddress address, MounterMetrics metrics, Health health) {
        FutureTask<StatusEndpoint> task = new FutureTask<>(() -> start(address, metrics, health));
        Thread thread = new Thread(task, "http-start");
        thread.setDaemon(true);
        thread.start();
        return new Starting(task);
    }

    /** An endpoint being started by {@link #startInBackground}. */
    public static final class Starting implements AutoCloseable {
        private final FutureTask<StatusEndpoint> task;

        private Starting(FutureTask<StatusEndpoint> task) {
            this.task = task;
        }

        /**
         * Waits for the start to end.
         *
         * @throws IOException as {@link #start} would
         */
        public StatusEndpoint await() throws IOException {
            try {
                return task.get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof IOException io) {
                    throw io;
                }
                throw new IOException("cannot serve HTTP: " + e.getCause(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while the HTTP endpoint started", e);
            }
        }

        /** Waits for the start to end and closes what it opened, if anything. */
        @Override
        public void close() {
            try {
                await().close();
            } catch (IOException ignored) {
                // it never listened: nothing to close
            }
        }
    }

    /** The event loop, channel type and address for one kind of listen address. */
    private record Transport(EventLoopGroup group, Class<? extends ServerChannel> channelType, SocketAddress address,
                             Path socketFile) {
    }

    private static Transport transport(HttpListenAddress address) throws IOException {
        ThreadFactory threads = runnable -> {
            Thread thread = new FastThreadLocalThread(runnable, "http");
            thread.setDaemon(true);
            return thread;
        };
        if (address instanceof HttpListenAddress.Unix unix) {
            Files.createDirectories(unix.path().toAbsolutePath().getParent());
            SocketFile.replaceStale(unix.path());
            return new Transport(new NioEventLoopGroup(1, threads), NioServerDomainSocketChannel.class,
                    UnixDomainSocketAddress.of(unix.path()), unix.path());
        }
        return new Transport(new NioEventLoopGroup(1, threads), NioServerSocketChannel.class,
                ((HttpListenAddress.Tcp) address).address(), null);
    }

    private static ChannelInitializer<Channel> pipeline(StatusPages pages) {
        AtomicInteger open = new AtomicInteger();
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel child) {
                child.pipeline().addLast(new ConnectionLimit(open),
                        new ReadTimeoutHandler(IDLE_SECONDS, TimeUnit.SECONDS),
                        new HttpServerCodec(),
                        new HttpObjectAggregator(MAX_REQUEST_BYTES),
                        new RequestDeadline(),
                        new StatusHandler(pages));
            }
        };
    }

    /** The bound address (a TCP port chosen for port 0); null when off. */
    public SocketAddress localAddress() {
        return channel == null ? null : channel.localAddress();
    }

    /** Stops listening, closes the connections, ends the thread, removes a unix socket file; once. */
    @Override
    public void close() {
        if (group == null || !closed.compareAndSet(false, true)) {
            return;
        }
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        if (socketFile != null) {
            try {
                Files.deleteIfExists(socketFile);
            } catch (IOException ignored) {
                // best effort; a stale socket is replaced at the next start
            }
        }
    }

    /** Closes a connection whose request is not complete within {@link #REQUEST_SECONDS}. */
    private static final class RequestDeadline extends ChannelInboundHandlerAdapter {
        private ScheduledFuture<?> deadline;

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            restart(ctx);
            super.channelActive(ctx);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            restart(ctx); // a whole request came: the next one has its own time
            super.channelRead(ctx, msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            if (deadline != null) {
                deadline.cancel(false);
            }
            super.channelInactive(ctx);
        }

        private void restart(ChannelHandlerContext ctx) {
            if (deadline != null) {
                deadline.cancel(false);
            }
            deadline = ctx.executor().schedule(() -> {
                ctx.close();
            }, REQUEST_SECONDS, TimeUnit.SECONDS);
        }
    }

    /** Closes a connection beyond {@link #MAX_CONNECTIONS} as soon as it opens. */
    private static final class ConnectionLimit extends ChannelInboundHandlerAdapter {
        private final AtomicInteger open;

        ConnectionLimit(AtomicInteger open) {
            this.open = open;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            if (open.incrementAndGet() > MAX_CONNECTIONS) {
                ctx.close();
                return;
            }
            super.channelActive(ctx);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            open.decrementAndGet();
            super.channelInactive(ctx);
        }
    }
}
