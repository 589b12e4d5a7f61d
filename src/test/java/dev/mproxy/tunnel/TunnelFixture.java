package dev.mproxy.tunnel;

import dev.mproxy.connector.LocalTargets;
import dev.mproxy.connector.Mappings;
import dev.mproxy.protocol.MproxyMessageDecoder;
import dev.mproxy.protocol.MproxyMessageEncoder;
import dev.mproxy.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A gateway-side and a device-side tunnel joined by a real loopback TCP connection carrying M-PROXY, public
 * listeners on the gateway side and local services on the device side: the tunnel without its WebSocket.
 */
final class TunnelFixture implements AutoCloseable {

    static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

    final EventLoopGroup group = Transport.newGroup(2);
    /** The local services' connections, closed first at {@link #close()}. */
    private final ChannelGroup serviceConnections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    final TunnelLimits limits;
    /** Public port → local service address, the connector's {@code --tcp} mapping. */
    final Map<Integer, InetSocketAddress> targets = new ConcurrentHashMap<>();
    /** The device's mappings when a test needs names or PROXY headers; null: {@link #targets} alone. */
    volatile Mappings mappings;
    final Channel deviceListener;
    final Channel gatewayTunnel;
    TunnelHandler gatewayHandler;
    /** Local connections open only once this completes: lets a test hold a stream in "connecting". */
    volatile CompletableFuture<Void> connectGate = CompletableFuture.completedFuture(null);

    TunnelFixture(TunnelLimits limits) throws InterruptedException {
        this.limits = limits;
        deviceListener = new ServerBootstrap().group(group).channel(Transport.serverChannel())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new MproxyMessageDecoder(), MproxyMessageEncoder.INSTANCE,
                                TunnelHandler.device(limits, TunnelFixture.this::openLocal));
                    }
                }).bind(LOOPBACK).sync().channel();
        gatewayHandler = TunnelHandler.gateway(limits);
        gatewayTunnel = new Bootstrap().group(group).channel(Transport.socketChannel())
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new MproxyMessageDecoder(), MproxyMessageEncoder.INSTANCE,
                                gatewayHandler);
                    }
                }).connect(deviceListener.localAddress()).sync().channel();
    }

    /** Listens like the gateway's TCP port for a device: every connection becomes a stream to {@code target}. */
    InetSocketAddress publicPort(InetSocketAddress target) throws InterruptedException {
        InetSocketAddress address = publicPort("tcp", "");
        targets.put(address.getPort(), target);
        return address;
    }

    /**
     * Listens like a public port of the gateway: every connection becomes a {@code service} stream for
     * {@code name}, with this port as its service port. The device opens it by {@link #mappings}.
     */
    InetSocketAddress publicPort(String service, String name) throws InterruptedException {
        Channel listener = new ServerBootstrap().group(group).channel(Transport.serverChannel())
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        String port = Integer.toString(ch.localAddress().getPort());
                        gatewayHandler.openStream(ch, service, port, name, null);
                    }
                }).bind(LOOPBACK).sync().channel();
        return (InetSocketAddress) listener.localAddress();
    }

    private ChannelFuture openLocal(StreamRequest request, EventLoop loop) {
        CompletableFuture<Void> gate = connectGate;
        if (gate.isDone()) {
            Mappings m = mappings;
            return new LocalTargets(m != null ? m : Mappings.tcp(targets), 5000).open(request, loop);
        }
        // Register the local channel now, connect it when the gate opens: the stream stays "connecting".
        Channel local = new Bootstrap().group(loop).channel(Transport.socketChannel())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                    }
                })
                .register().channel();
        ChannelPromise opened = local.newPromise();
        InetSocketAddress target = targets.get(Integer.parseInt(request.servicePort()));
        gate.thenRun(() -> local.connect(target).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                opened.setSuccess();
            } else {
                opened.setFailure(f.cause());
            }
        }));
        return opened;
    }

    /** A local service that echoes, and half-closes its output after its input ended. */
    InetSocketAddress echoService() throws InterruptedException {
        return echoService("");
    }

    /** A local service that sends {@code greeting} first, then echoes like {@link #echoService()}. */
    InetSocketAddress echoService(String greeting) throws InterruptedException {
        return service(() -> new ChannelInboundHandlerAdapter() {
            @Override
            public void channelActive(ChannelHandlerContext ctx) {
                if (!greeting.isEmpty()) {
                    ctx.writeAndFlush(ascii(greeting));
                }
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ctx.writeAndFlush(msg);
            }

            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                if (evt instanceof ChannelInputShutdownEvent) {
                    ctx.writeAndFlush(Unpooled.EMPTY_BUFFER)
                            .addListener(f -> ((DuplexChannel) ctx.channel()).shutdownOutput());
                }
            }
        });
    }

    interface HandlerFactory {
        io.netty.channel.ChannelHandler create();
    }

    InetSocketAddress service(HandlerFactory handler) throws InterruptedException {
        Channel listener = new ServerBootstrap().group(group).channel(Transport.serverChannel())
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        serviceConnections.add(ch);
                        ch.pipeline().addLast(handler.create(), new ChannelInboundHandlerAdapter() {
                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                ctx.close(); // resets are expected here: streams are failed on purpose
                            }
                        });
                    }
                }).bind(LOOPBACK).sync().channel();
        return (InetSocketAddress) listener.localAddress();
    }

    /** A blocking client socket that gives up reading after 30 s. */
    static Socket connect(InetSocketAddress address) throws IOException {
        Socket socket = new Socket(address.getAddress(), address.getPort());
        socket.setSoTimeout(30_000);
        return socket;
    }

    /** A loopback port nothing listens on. */
    static InetSocketAddress closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return new InetSocketAddress("127.0.0.1", s.getLocalPort());
        }
    }

    static ByteBuf ascii(String s) {
        return Unpooled.copiedBuffer(s, java.nio.charset.StandardCharsets.US_ASCII);
    }

    @Override
    public void close() {
        // closed while their loops still run, so that what a service still had queued to write is released: a
        // service writing from channelWritabilityChanged can queue more during its own close, which the loop then
        // finishes in a task of its own (a leak report when the loop had already shut down)
        serviceConnections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
