package dev.mproxy.rendezvous;

import dev.mproxy.record.Direction;
import dev.mproxy.relay.ChannelEnd;
import dev.mproxy.relay.Relay;
import dev.mproxy.relay.RelayEnd;
import dev.mproxy.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.util.concurrent.Future;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * {@code mproxy relay} (rendezvous §6): joins a relay id at a gateway and bridges the pair to standard input
 * and output, to each connection on a local port, or to a local service. Each session is one {@link Relay}
 * between a local end and the paired {@link WebSocketEnd}, on one event loop.
 */
public final class RendezvousClient implements AutoCloseable {

    private static final InternalLogger logger = InternalLoggerFactory.getInstance(RendezvousClient.class);

    /** The most sessions one client runs: {@code --connect} keeps a peer waiting on each (rendezvous 6.5). */
    public static final int MAX_SESSIONS = 100;

    /** Retry delays after a failure other than a hold timeout (rendezvous 6.6). */
    private static final long FIRST_RETRY_MILLIS = 1000;
    private static final long MAX_RETRY_MILLIS = 30_000;

    private final RendezvousDialer dialer;
    private final String id;
    private final int sessions;
    private final EventLoopGroup group = Transport.newGroup();
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    /** Which {@code --listen} sessions are in use; guarded by itself. */
    private final boolean[] inUse;
    private volatile boolean closed;
    private Channel listener;

    /**
     * @param dialer   the gateway and how to join it
     * @param id       the relay id of session 1 (rendezvous 1.2)
     * @param sessions how many sessions may run at once, 1 to {@value #MAX_SESSIONS} (rendezvous 6.5)
     * @throws IllegalArgumentException if an id or the number of sessions is not valid
     */
    public RendezvousClient(RendezvousDialer dialer, String id, int sessions) {
        if (sessions < 1 || sessions > MAX_SESSIONS) {
            throw new IllegalArgumentException("sessions: " + sessions + " (expected: 1 to " + MAX_SESSIONS + ')');
        }
        this.dialer = dialer;
        this.id = RendezvousId.check(id);
        this.sessions = sessions;
        this.inUse = new boolean[sessions + 1];
        RendezvousId.check(sessionId(id, sessions)); // the longest
    }

    /** The relay id of session {@code session} (1-based): {@code id}, then {@code id-2}, {@code id-3}, ... */
    public static String sessionId(String id, int session) {
        return session == 1 ? id : id + '-' + session;
    }

    /**
     * Completes exceptionally once the client cannot go on: {@code --connect} refused at the upgrade
     * (rendezvous 6.6).
     */
    public CompletableFuture<Void> stopped() {
        return stopped;
    }

    /**
     * One session between {@code in} and {@code out} ({@code --stdio}). The future completes with the relay once
     * both of its sides are done and {@code out} is closed, or fails with a {@link RendezvousJoinException}.
     */
    public CompletableFuture<Relay> stdio(InputStream in, OutputStream out) {
        EventLoop loop = group.next();
        StdioEnd local = new StdioEnd(in, out, loop);
        CompletableFuture<Relay> done = new CompletableFuture<>();
        String session = sessionId(id, 1);
        dialer.join(loop, session).addListener((Future<RendezvousDialer.Joined> f) -> {
            if (!f.isSuccess()) {
                done.completeExceptionally(f.cause());
                return;
            }
            bridge(session, local, f.getNow(),
                    relay -> local.outputClosed().whenComplete((v, e) -> done.complete(relay)));
        });
        return done;
    }

    /**
     * Listens on {@code local} ({@code --listen}): each connection takes the lowest session not in use, joins
     * its id and is relayed once paired; a connection that finds every session in use is closed.
     *
     * @return the address listened on
     * @throws BindException naming the address when it cannot be bound
     */
    public InetSocketAddress listen(InetSocketAddress local) throws BindException, InterruptedException {
        ServerBootstrap bootstrap = new ServerBootstrap().group(group).channel(Transport.serverChannel())
                .childOption(ChannelOption.AUTO_READ, false) // nothing is read before the pair is greeted
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        accepted(ch);
                    }
                });
        listener = Transport.bind(bootstrap, local, null);
        return (InetSocketAddress) listener.localAddress();
    }

    /**
     * Keeps a peer waiting on each session's id and connects each pair to {@code service} ({@code --connect}),
     * joining again after each session and each hold timeout. Returns at once. An unresolved {@code service} is
     * looked up for each pair, off the event loops.
     */
    public void connect(InetSocketAddress service) {
        for (int session = 1; session <= sessions; session++) {
            serve(session, service, FIRST_RETRY_MILLIS);
        }
    }

    private void accepted(SocketChannel local) {
        int session = takeSession();
        if (session == 0) {
            logger.warn("relay {}: all {} sessions in use; closing the connection from {}", id, sessions,
                    local.remoteAddress());
            local.close();
            return;
        }
        String sessionId = sessionId(id, session);
        dialer.join(local.eventLoop(), sessionId).addListener((Future<RendezvousDialer.Joined> f) -> {
            if (!f.isSuccess()) {
                logger.warn("relay {}: {}; closing the connection from {}", sessionId, f.cause().getMessage(),
                        local.remoteAddress());
                local.close();
                releaseSession(session);
                return;
            }
            RendezvousDialer.Joined joined = f.getNow();
            // the session is free once the gateway has closed the WebSocket: it has freed the id by then
            joined.end().channel().closeFuture().addListener(closed -> releaseSession(session));
            bridge(sessionId, ChannelEnd.of(local), joined, relay -> { });
        });
    }

    private void serve(int session, InetSocketAddress service, long retryMillis) {
        if (closed) {
            return;
        }
        String sessionId = sessionId(id, session);
        dialer.join(group.next(), sessionId).addListener((Future<RendezvousDialer.Joined> f) -> {
            if (f.isSuccess()) {
                connectService(session, service, f.getNow());
                return;
            }
            RendezvousJoinException.Kind kind = f.cause() instanceof RendezvousJoinException
                    ? ((RendezvousJoinException) f.cause()).kind() : RendezvousJoinException.Kind.FAILED;
            if (kind == RendezvousJoinException.Kind.REFUSED_UPGRADE) {
                stopped.completeExceptionally(f.cause()); // the same request would be refused again
            } else if (kind == RendezvousJoinException.Kind.HOLD_TIMEOUT) {
                serve(session, service, FIRST_RETRY_MILLIS);
            } else {
                logger.warn("relay {}: {}; joining again in {} ms", sessionId, f.cause().getMessage(), retryMillis);
                later(() -> serve(session, service, Math.min(MAX_RETRY_MILLIS, retryMillis * 2)), retryMillis);
            }
        });
    }

    private void connectService(int session, InetSocketAddress service, RendezvousDialer.Joined joined) {
        String sessionId = sessionId(id, session);
        Channel ws = joined.end().channel();
        // joins again once the gateway has closed the WebSocket: it has freed the id by then
        ws.closeFuture().addListener(closed -> serve(session, service, FIRST_RETRY_MILLIS));
        dialer.resolver().resolve(ws.eventLoop(), service).addListener((Future<InetSocketAddress> resolved) -> {
            if (!resolved.isSuccess()) {
                cannotConnect(sessionId, service, resolved.cause(), joined);
                return;
            }
            new Bootstrap().group(ws.eventLoop()).channel(Transport.socketChannel())
                    .option(ChannelOption.AUTO_READ, false)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            // the relay's endpoint handler is added once connected
                        }
                    })
                    .connect(resolved.getNow()).addListener((ChannelFutureListener) c -> {
                        if (c.isSuccess()) {
                            bridge(sessionId, ChannelEnd.of(c.channel()), joined, relay -> { });
                        } else {
                            cannotConnect(sessionId, service, c.cause(), joined);
                        }
                    });
        });
    }

    private static void cannotConnect(String sessionId, InetSocketAddress service, Throwable cause,
                                      RendezvousDialer.Joined joined) {
        String why = "cannot connect to " + service.getHostString() + ':' + service.getPort() + ": "
                + cause.getMessage();
        logger.warn("relay {}: {}", sessionId, why);
        joined.end().close(WebSocketCloseStatus.INTERNAL_SERVER_ERROR, why); // rendezvous 6.6
    }

    /** Relays {@code local} and the paired WebSocket; {@code finished} hears, on the loop, that the relay is done. */
    private void bridge(String sessionId, RelayEnd local, RendezvousDialer.Joined joined, Relay.Listener finished) {
        WebSocketEnd ws = joined.end();
        logger.info("relay {}: paired{}; relaying {}", sessionId, joined.recorded() ? " (recorded by the gateway)"
                : "", local);
        Relay.join(local, ws, null, relay -> {
            logger.info("relay {}: ended after {} ms: {} bytes sent, {} received{}", sessionId,
                    TimeUnit.NANOSECONDS.toMillis(relay.durationNanos()), relay.bytesFrom(Direction.FROM_CLIENT),
                    relay.bytesFrom(Direction.FROM_SERVER), relay.failure() == null ? "" : "; " + why(relay));
            finished.finished(relay);
        });
    }

    /** Why a session failed, in the client's words: its local side and its relay connection. */
    public static String why(Relay relay) {
        String failure = relay.failure();
        return failure == null ? null
                : failure.replaceFirst("^client ", "local side ").replaceFirst("^server ", "relay connection ");
    }

    private void later(Runnable task, long millis) {
        try {
            group.schedule(task, millis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException stopping) {
            // closed meanwhile: nothing more to join
        }
    }

    private int takeSession() {
        synchronized (inUse) {
            for (int session = 1; session <= sessions; session++) {
                if (!inUse[session]) {
                    inUse[session] = true;
                    return session;
                }
            }
            return 0;
        }
    }

    private void releaseSession(int session) {
        synchronized (inUse) {
            inUse[session] = false;
        }
    }

    /** Stops listening and joining, and closes every session. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (listener != null) {
            listener.close().syncUninterruptibly();
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
