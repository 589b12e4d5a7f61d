package dev.mproxy.tls;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mproxy.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.Promise;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A TLS echo server on a loopback port and a client that connects to it: real sockets, real handshakes.
 * Clients always dial 127.0.0.1; the host name they verify is whatever the test passes.
 */
final class TlsLoopback implements AutoCloseable {

    private static final long TIMEOUT_SECONDS = 10;

    private final EventLoopGroup group = Transport.newGroup(2);
    private final Channel server;

    TlsLoopback(SslContext serverContext) throws InterruptedException {
        server = new ServerBootstrap()
                .group(group)
                .channel(Transport.serverChannel())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(serverContext.newHandler(ch.alloc()), new Echo());
                    }
                })
                .bind(InetAddress.getLoopbackAddress(), 0).sync().channel();
    }

    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /**
     * Connects with {@code tls} verifying {@code host}, sends {@code "ping"} once the handshake succeeds, and
     * returns what came back; the future fails with the handshake's cause otherwise.
     */
    Future<String> ping(ClientTls tls, String host) throws InterruptedException {
        Promise<String> reply = group.next().newPromise();
        // Kept from the initializer: a handshake that fails fast closes the channel and empties its pipeline.
        AtomicReference<SslHandler> sslHandler = new AtomicReference<>();
        Channel ch = new Bootstrap()
                .group(group)
                .channel(Transport.socketChannel())
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        sslHandler.set(tls.newHandler(ch.alloc(), host, port()));
                        ch.pipeline().addLast(sslHandler.get(), new Reply(reply));
                    }
                })
                .connect(InetAddress.getLoopbackAddress(), port()).sync().channel();
        try {
            Future<Channel> handshake = sslHandler.get().handshakeFuture();
            assertTrue(handshake.await(TIMEOUT_SECONDS, TimeUnit.SECONDS), "handshake did not finish");
            if (!handshake.isSuccess()) {
                return ImmediateEventExecutor.INSTANCE.newFailedFuture(handshake.cause());
            }
            ch.writeAndFlush(ch.alloc().buffer().writeBytes("ping".getBytes(StandardCharsets.US_ASCII)));
            assertTrue(reply.await(TIMEOUT_SECONDS, TimeUnit.SECONDS), "no reply");
            return reply;
        } finally {
            assertTrue(ch.close().await(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        }
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        assertTrue(group.shutdownGracefully(0, TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .awaitUninterruptibly(TIMEOUT_SECONDS + 5, TimeUnit.SECONDS), "event loops did not stop");
    }

    /** Sends every byte back; the server side of a failed handshake just closes. */
    private static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.writeAndFlush(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private static final class Reply extends ChannelInboundHandlerAdapter {
        private final Promise<String> reply;

        Reply(Promise<String> reply) {
            this.reply = reply;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            try {
                reply.trySuccess(buf.toString(StandardCharsets.US_ASCII));
            } finally {
                buf.release();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            reply.tryFailure(cause);
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            reply.tryFailure(new IllegalStateException("closed before a reply"));
            ctx.fireChannelInactive();
        }
    }
}
