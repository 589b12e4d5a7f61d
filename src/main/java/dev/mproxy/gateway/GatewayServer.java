package dev.mproxy.gateway;

import dev.mproxy.config.Durations;
import dev.mproxy.config.HostPorts;
import dev.mproxy.guard.ReadGate;
import dev.mproxy.guard.Refusals;
import dev.mproxy.guard.UpgradeDeadline;
import dev.mproxy.relay.Recorder;
import dev.mproxy.rendezvous.Rendezvous;
import dev.mproxy.tls.TlsFailures;
import dev.mproxy.transport.Drain;
import dev.mproxy.transport.Transport;
import dev.mproxy.tunnel.TunnelHandler;
import dev.mproxy.tunnel.TunnelPipeline;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.SingleThreadEventExecutor;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * The gateway: listens for devices on one port (WebSocket at {@code /}, TLS unless disabled), serves the
 * rendezvous relay on that port too (WebSocket at {@code /relay}), and listens for the public on the ports
 * device tokens grant. {@link #start()} binds; {@link #close()} stops everything.
 */
public final class GatewayServer implements AutoCloseable {

    private static final InternalLogger logger = InternalLoggerFactory.getInstance(GatewayServer.class);

    /** The request head of an upgrade is small; anything larger is not a device. */
    private static final int MAX_UPGRADE_REQUEST = 16 * 1024;

    private final GatewayConfig config;
    private final EventLoopGroup workers = Transport.newGroup();
    /**
     * One of the workers: accepts on every port, reads the routed ports' connections until their route is known,
     * and serves one device ({@link DevicePlacement}).
     */
    private final EventLoop accepting = (EventLoop) workers.iterator().next();
    /**
     * Every open connection on the device port (tunnels, relay peers, node tunnels, upgrades under way), closed
     * at stop: a loop stopped with no quiet period can end without closing its channels (Netty 4.2's
     * {@code confirmShutdown} returns before {@code prepareToDestroy} when a task ran), and a relay peer was then
     * left open after its gateway stopped (ClusterTest, issue 16).
     */
    private final ChannelGroup deviceConnections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final DeviceRegistry registry;
    private final GatewayGuards guards;
    private final Rendezvous rendezvous;
    private Channel listener;
    private RoutedPort tlsPort;
    private RoutedPort httpPort;

    public GatewayServer(GatewayConfig config) {
        this.config = config;
        this.registry = new DeviceRegistry(config, accepting, workers);
        this.guards = registry.guards();
        this.rendezvous = new Rendezvous(config.relayHold(), config.handshakeTimeout(), config.recorder(),
                config.relayGuessableIds(), config.relayMaxMessage());
    }

    /**
     * Binds the device port and the shared TLS and HTTP ports.
     *
     * @throws BindException naming the address and its purpose when one cannot be bound
     */
    public GatewayServer start() throws InterruptedException, BindException {
        WebSocketServerProtocolConfig ws = WebSocketServerProtocolConfig.newBuilder()
                .websocketPath("/")
                .checkStartsWith(true) // "/?access_token=..." is a device too; UpgradeAuthenticator checks the path
                .dropPongFrames(false) // the keepalive times its pings by their pongs
                .handshakeTimeoutMillis(config.handshakeTimeout().toMillis())
                .decoderConfig(WebSocketDecoderConfig.newBuilder()
                        .maxFramePayloadLength(TunnelPipeline.MAX_FRAME_PAYLOAD)
                        .allowExtensions(false)
                        .build())
                .build();
        ChannelHandler device = new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                if (!guards.admitDevice(ch)) {
                    return;
                }
                deviceConnections.add(ch); // left at its close
                ChannelPipeline p = ch.pipeline();
                if (config.tls() != null) {
                    p.addLast(new TlsRequired(guards.refusals())); // limits 1.3, control 3.2
                    p.addLast(TunnelPipeline.TLS, config.tls().newHandler(ch.alloc()));
                }
                p.addLast(new HttpServerCodec(),
                        new UpgradeDeadline(config.handshakeTimeout(), guards.refusals()), // limits 1.1-1.3
                        new HttpObjectAggregator(MAX_UPGRADE_REQUEST),
                        new UpgradeAuthenticator(config.verifier(), rendezvous, guards, config.observer(),
                                config.cluster()),
                        new WebSocketServerProtocolHandler(ws),
                        new TunnelInstaller());
            }
        };
        ServerBootstrap devices = new ServerBootstrap().group(accepting, workers).channel(Transport.serverChannel())
                .handler(new DevicePlacement(accepting, workers, device, config.handshakeTimeout(),
                        ch -> ch.pipeline().get(DeviceSession.class) != null))
                .childHandler(device); // DevicePlacement adds it; Netty's acceptor requires one
        listener = Transport.bind(devices, config.listen(), "devices");
        long routeTimeout = config.handshakeTimeout().toMillis();
        if (config.tlsPort().isPresent()) {
            tlsPort = new RoutedPort(Transport.bind(RoutedPort.bootstrap(accepting, guards,
                    port -> new SniRouter(registry, port, routeTimeout, config.observer())),
                    new InetSocketAddress(config.publicBindHost(), config.tlsPort().getAsInt()), "the TLS port (--tls-port)"));
        }
        if (config.httpPort().isPresent()) {
            httpPort = new RoutedPort(Transport.bind(RoutedPort.bootstrap(accepting, guards,
                    port -> new HttpHostRouter(registry, port, routeTimeout, config.observer())),
                    new InetSocketAddress(config.publicBindHost(), config.httpPort().getAsInt()), "the HTTP port (--http-port)"));
        }
        if (config.cluster() != null) {
            config.cluster().start(new Node());
        }
        return this;
    }

    /** The shared TLS port routed by SNI, or null when there is none. */
    public InetSocketAddress tlsAddress() {
        return tlsPort == null ? null : tlsPort.address();
    }

    /** The shared HTTP port routed by Host, or null when there is none. */
    public InetSocketAddress httpAddress() {
        return httpPort == null ? null : httpPort.address();
    }

    /** Where devices connect. */
    public InetSocketAddress deviceAddress() {
        return (InetSocketAddress) listener.localAddress();
    }

    /** Where streams are recorded, or null. */
    public Recorder recorder() {
        return config.recorder();
    }

    /** Connected devices. */
    public int deviceCount() {
        return registry.deviceCount();
    }

    /**
     * Applies the verifier's revocations to live tunnels: each holding a revoked token is closed with WebSocket status
     * 1008 and the reason (protocol-spec/admin.md 5.3). Returns how many were closed.
     */
    public int closeRevoked() {
        return registry.closeRevoked(config.verifier().revocations());
    }

    /** The connected devices, in no order; each read-only but for {@link DeviceView#disconnect}. */
    public List<DeviceView> devices() {
        return registry.devices();
    }

    /** The connected device {@code id}, if it is. */
    public Optional<DeviceView> device(String id) {
        return Optional.ofNullable(registry.device(id));
    }

    /** Whether the device port listens and the gateway is not stopping: ready to take devices. */
    public boolean isReady() {
        return listener != null && listener.isActive() && !registry.isClosed();
    }

    /** Tasks waiting on the gateway's event loops, summed: a loop that falls behind shows here first. */
    public long pendingTasks() {
        long pending = 0;
        for (EventExecutor loop : workers) {
            if (loop instanceof SingleThreadEventExecutor) {
                pending += ((SingleThreadEventExecutor) loop).pendingTasks();
            }
        }
        return pending;
    }

    /** How often each bound of protocol-spec/limits.md refused or closed something, for a metrics endpoint. */
    public Refusals refusals() {
        return guards.refusals();
    }

    /** The rendezvous relay at {@code /relay} (protocol-spec/rendezvous.md); its counters for a metrics endpoint. */
    public Rendezvous rendezvous() {
        return rendezvous;
    }

    /**
     * Stops accepting devices and public connections, then waits until the open streams and relay pairs have
     * finished or {@code timeout} has passed, or {@code forced} says to stop waiting; the tunnels stay meanwhile.
     * {@link #close()} ends the rest. Logs each phase.
     *
     * @return how many streams and pairs were still open when it stopped waiting
     */
    public int drain(Duration timeout, BooleanSupplier forced) {
        if (listener != null) {
            listener.close().syncUninterruptibly();
        }
        for (RoutedPort routed : new RoutedPort[] {tlsPort, httpPort}) {
            if (routed != null) {
                routed.close();
            }
        }
        registry.stopAccepting();
        int open = openStreams();
        logger.info("stopping: accepting no devices or public connections; {} open streams and relay pairs get "
                + "up to {} to finish", open, Durations.format(timeout));
        open = Drain.await(open, this::openStreams, timeout, forced);
        if (open == 0) {
            logger.info("stopping: every stream finished");
        } else {
            logger.warn("stopping: cutting {} streams and relay pairs still open", open);
        }
        return open;
    }

    /** Streams of every tunnel and relay pairs, counted on their own event loops. */
    public int openStreams() {
        int open = rendezvous.metrics().activePairs();
        for (DeviceSession session : registry.sessions()) {
            try {
                open += session.channel().eventLoop().submit(() -> session.tunnel().streamCount())
                        .get(5, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException | RejectedExecutionException e) {
                // a tunnel closing meanwhile has no streams left to wait for
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return open;
            }
        }
        return open;
    }

    @Override
    public void close() {
        if (config.cluster() != null) {
            config.cluster().close(); // first: no other node routes here from now on
        }
        if (listener != null) {
            listener.close().syncUninterruptibly();
        }
        for (RoutedPort routed : new RoutedPort[] {tlsPort, httpPort}) {
            if (routed != null) {
                routed.close();
            }
        }
        registry.close(); // tunnels and public ports first, so nothing runs on a stopped loop
        deviceConnections.close().awaitUninterruptibly(2, TimeUnit.SECONDS); // what the registry does not hold
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        if (config.recorder() != null) {
            config.recorder().close(); // after the tunnels: their streams' recordings are finished by now
        }
    }

    /** The registry as the cluster sees it (protocol-spec/cluster.md). */
    private final class Node implements LocalNode {
        @Override
        public InetSocketAddress deviceAddress() {
            return GatewayServer.this.deviceAddress();
        }

        @Override
        public EventLoopGroup workers() {
            return workers;
        }

        @Override
        public java.util.Map<String, Long> devices() {
            return registry.deviceGenerations();
        }

        @Override
        public java.util.Set<Integer> ports() {
            return registry.localPorts();
        }

        @Override
        public java.util.Set<String> names() {
            return registry.localNames();
        }

        @Override
        public boolean serves(int servicePort, String name) {
            return registry.serves(servicePort, name);
        }

        @Override
        public boolean openLocal(Channel connection, dev.mproxy.protocol.StreamAddress client, String service,
                                 int servicePort, String name) {
            return registry.openLocal(connection, client, service, servicePort, name);
        }

        @Override
        public boolean deviceTls() {
            return config.tls() != null;
        }

        @Override
        public Set<String> waitingRelays() {
            return rendezvous.waitingIds();
        }

        @Override
        public void remotePortsChanged() {
            registry.syncRemotePorts();
        }

        @Override
        public void dropDevice(String deviceId, String reason) {
            registry.drop(deviceId, reason);
        }
    }

    /** Turns the upgraded connection into a tunnel once the WebSocket handshake is complete. */
    private final class TunnelInstaller extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
                TunnelPipeline.install(ctx.pipeline(), TunnelHandler.gateway(config.limits()),
                        new DeviceSession(registry, config.verifier(), config.handshakeTimeout(), config.recorder(),
                                config.observer()),
                        config.pingInterval(), config.pingTimeout());
                DeviceSession session = ctx.pipeline().get(DeviceSession.class);
                ctx.pipeline().addFirst(new ReadGate(session.memory(), guards.refusals())); // limits 3.1, 3.3
                ctx.pipeline().remove(this);
            }
            ctx.fireUserEventTriggered(evt);
        }

        /** Before the tunnel: a failed TLS handshake or upgrade is the client's problem, told to it by TLS. */
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            logger.info("remote={} no tunnel: {}", HostPorts.format(ctx.channel().remoteAddress()),
                    TlsFailures.describe(cause));
            ctx.close();
        }
    }
}
