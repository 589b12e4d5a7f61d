package dev.mproxy.recordproxy;

import dev.mproxy.record.Direction;
import dev.mproxy.record.RecordingFormat;
import dev.mproxy.record.SessionInfo;
import dev.mproxy.relay.ChannelEnd;
import dev.mproxy.relay.Recorder;
import dev.mproxy.relay.RecordingTap;
import dev.mproxy.relay.Relay;
import dev.mproxy.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * netrecord's recording proxy: forwards each connection accepted on {@code listen} to {@code server} and records
 * it to {@code LOG_ROOT_n} (n counting from 1 in accept order; {@code .mcrec} files add their extension), netrecord's
 * times counting from the proxy's start as the original's do, an {@code .mcrec} file's from its connection's
 * (protocol-spec/recording.md §7). Connections run in parallel; each is one {@link Relay} with a
 * {@link RecordingTap}.
 */
public final class RecordProxy implements AutoCloseable {

    private static final InternalLogger logger = InternalLoggerFactory.getInstance(RecordProxy.class);

    private final InetSocketAddress listen;
    private final InetSocketAddress server;
    private final String logRoot;
    /** How to record; null to forward only. */
    private final RecordingFormat format;
    private final EventLoopGroup loops = Transport.newGroup();
    private final Recorder recorder;
    private final AtomicInteger accepted = new AtomicInteger();
    private final Instant start = Instant.now();
    private final long startNanos = System.nanoTime();
    private Channel listener;
    private boolean closed;

    /** Forwards as {@code config} says, recording unless {@link RecordProxyConfig#recording()} is false. */
    public RecordProxy(RecordProxyConfig config) {
        this.listen = config.listen();
        this.server = config.server();
        this.logRoot = config.logRoot();
        this.format = config.recording() ? config.format() : null;
        this.recorder = format == null ? null : Recorder.of(format);
    }

    /**
     * Checks that recordings have somewhere new to go, then listens. With no format, it only forwards: the
     * same relay without its tap, to measure what recording costs.
     *
     * @throws IOException if the first recording's file exists (nothing is overwritten) or its directory is not
     *     there; a {@link BindException} naming the address if it cannot listen
     */
    public RecordProxy start() throws IOException, InterruptedException {
        if (format != null) {
            requireNewRecordings();
        }
        listen();
        return this;
    }

    private void requireNewRecordings() throws IOException {
        Path first = file(1);
        Path dir = first.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            throw new IOException(dir + ": no such directory (expected: the directory of LOG_ROOT " + logRoot + ')');
        }
        if (Files.exists(first)) {
            throw new IOException(first + " exists: recordings are never overwritten (expected: a LOG_ROOT "
                    + "with no recordings yet)");
        }
    }

    private void listen() throws BindException, InterruptedException {
        ServerBootstrap bootstrap = new ServerBootstrap().group(loops).channel(Transport.serverChannel())
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel client) {
                        accept(client);
                    }
                });
        try {
            listener = Transport.bind(bootstrap, listen, null);
        } catch (BindException e) {
            close();
            throw e;
        }
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) listener.localAddress();
    }

    /** Connections accepted so far: the number of the last recording. */
    public int accepted() {
        return accepted.get();
    }

    /** netrecord's own names for its format, so scripts written for it find their files; others add their extension. */
    private Path file(int n) {
        return Path.of(logRoot + '_' + n + (format == RecordingFormat.NETRECORD ? "" : format.fileExtension()));
    }

    private void accept(SocketChannel client) {
        int n = accepted.incrementAndGet();
        if (format == null) {
            connect(n, client, ChannelEnd.of(client), null);
            return;
        }
        Path file = file(n);
        // netrecord keeps no start, so its times count from the proxy's, as the original's do and so that times
        // in different files compare; an .mcrec file says when its session started, and MeshCentral's player shows
        // its duration from there (recording 7.2)
        boolean sinceProxyStart = format == RecordingFormat.NETRECORD;
        long originNanos = sinceProxyStart ? startNanos : System.nanoTime();
        Instant origin = sinceProxyStart ? start : Instant.now();
        SessionInfo session = new SessionInfo(origin, Integer.toString(n), null, client.remoteAddress(), server,
                null, Map.of("proxy", client.localAddress().getHostString() + ':' + client.localAddress().getPort()));
        RecordingTap tap = recorder.tap(file, client.eventLoop(), session, originNanos);
        tap.listener(new RecordingTap.Listener() {
            @Override
            public void recorded() {
            }

            @Override
            public void failed(IOException cause) {
                client.close(); // not connected yet: nothing to forward unrecorded
            }
        });
        tap.opened();
        connect(n, client, ChannelEnd.of(client), tap);
    }

    private void connect(int n, SocketChannel client, ChannelEnd clientEnd, RecordingTap tap) {
        new Bootstrap().group(client.eventLoop()).channel(Transport.socketChannel())
                .option(ChannelOption.AUTO_READ, false)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        // the relay's endpoint handler is added once connected
                    }
                })
                .connect(server).addListener((ChannelFutureListener) f -> {
                    if (f.isSuccess()) {
                        Relay.join(clientEnd, ChannelEnd.of(f.channel()), tap, relay -> finished(n, client, relay));
                    } else {
                        logger.info("connection {} from {}: cannot connect to {}: {}", n, client.remoteAddress(),
                                server, f.cause().getMessage());
                        if (tap != null) {
                            tap.failed(Direction.FROM_SERVER);
                            tap.close();
                        }
                        client.close();
                    }
                });
    }

    private static void finished(int n, Channel client, Relay relay) {
        logger.info("connection {} from {} finished in {} ms: {} bytes from the client ({}), {} from the server ({})"
                + "{}", n, client.remoteAddress(), TimeUnit.NANOSECONDS.toMillis(relay.durationNanos()),
                relay.bytesFrom(Direction.FROM_CLIENT), relay.ending(Direction.FROM_CLIENT),
                relay.bytesFrom(Direction.FROM_SERVER), relay.ending(Direction.FROM_SERVER),
                relay.failure() == null ? "" : "; " + relay.failure());
    }

    /** Stops listening, closes every connection, and waits until every recording is finished. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (listener != null) {
            listener.close().syncUninterruptibly();
        }
        loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        if (recorder != null) {
            recorder.close();
        }
    }
}
