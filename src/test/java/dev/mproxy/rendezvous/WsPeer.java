package dev.mproxy.rendezvous;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.mproxy.tls.ClientTls;
import dev.mproxy.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An independent WebSocket peer of the rendezvous relay for tests: Netty's own client, which masks its
 * frames, sends exactly the frames a test gives it (no close frame of its own when closed), and records
 * every frame it receives, or only digests the binary ones when told to.
 */
public final class WsPeer {

    public static final long TIMEOUT_SECONDS = 20;

    /** One frame as received: copied and released at once. */
    public record Frame(String kind, boolean fin, byte[] payload, int status, String reason) {
        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    public static final String TEXT = "text";
    public static final String BINARY = "binary";
    static final String CONTINUATION = "continuation";
    public static final String CLOSE = "close";
    static final String PONG = "pong";
    /** The connection ended. */
    public static final String GONE = "gone";

    private final BlockingQueue<Frame> received = new LinkedBlockingQueue<>();
    private final AtomicLong digested = new AtomicLong();
    private final MessageDigest digest;
    private volatile boolean digesting;
    private volatile long expected = Long.MAX_VALUE;
    private final CompletableFuture<byte[]> allDigested = new CompletableFuture<>();
    private volatile Pump pump;
    private Channel channel;

    private WsPeer() {
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Opens a WebSocket to {@code uri} and returns once the handshake is done; TLS when {@code tls} is set. */
    public static WsPeer open(EventLoopGroup group, URI uri, ClientTls tls, String token) throws Exception {
        WsPeer peer = new WsPeer();
        CompletableFuture<Void> upgraded = new CompletableFuture<>();
        DefaultHttpHeaders headers = new DefaultHttpHeaders();
        if (token != null) {
            headers.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token);
        }
        WebSocketClientProtocolConfig config = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(uri).customHeaders(headers).maxFramePayloadLength(4 * 1024 * 1024)
                .handleCloseFrames(false).sendCloseFrame(null).dropPongFrames(false).build();
        peer.channel = new Bootstrap().group(group).channel(Transport.socketChannel())
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (tls != null) {
                            ch.pipeline().addLast(tls.newHandler(ch.alloc(), uri.getHost(), uri.getPort()));
                        }
                        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(65536),
                                new WebSocketClientProtocolHandler(config), peer.new Receiver(upgraded));
                    }
                })
                .connect(uri.getHost(), uri.getPort()).sync().channel();
        upgraded.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        return peer;
    }

    Channel channel() {
        return channel;
    }

    ChannelFuture send(WebSocketFrame frame) {
        return channel.writeAndFlush(frame);
    }

    public ChannelFuture sendText(String text) {
        return send(new TextWebSocketFrame(text));
    }

    ChannelFuture sendClose(int status, String reason) {
        return send(new CloseWebSocketFrame(status, reason));
    }

    /** The next frame received, within the timeout. */
    public Frame next() throws InterruptedException {
        Frame frame = received.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertNotNull(frame, "no frame within " + TIMEOUT_SECONDS + " s on " + channel);
        return frame;
    }

    /** Asserts the next frame is the greeting {@code c} (rendezvous 2.6). */
    public void expectGreeting() throws InterruptedException {
        Frame greeting = next();
        assertEquals(TEXT, greeting.kind(), greeting.toString());
        assertEquals("c", greeting.text());
    }

    /** Asserts the next frame is a close frame with {@code status} and {@code reason}. */
    public void expectClose(int status, String reason) throws InterruptedException {
        Frame close = next();
        assertEquals(CLOSE, close.kind(), close.toString());
        assertEquals(status, close.status(), close.toString());
        assertEquals(reason, close.reason());
    }

    /** Asserts the connection ends (after whatever was already received was taken). */
    public void expectGone() throws InterruptedException {
        assertEquals(GONE, next().kind());
    }

    /** Starts or stops reading, and returns once that is in effect on the peer's loop. */
    void setReading(boolean reading) {
        channel.eventLoop().submit(() -> channel.config().setAutoRead(reading)).syncUninterruptibly();
    }

    /** From now on binary and continuation payloads only go into a SHA-256, completed at {@code bytes}. */
    public CompletableFuture<byte[]> digestBinary(long bytes) {
        expected = bytes;
        digesting = true;
        return allDigested;
    }

    long digested() {
        return digested.get();
    }

    public void closeAbruptly() {
        channel.close().syncUninterruptibly();
    }

    /** Sends {@code total} bytes of {@code random} in binary frames of {@code frameSize}, as fast as writable. */
    public Pump pump(long total, int frameSize, Random random) {
        return pump(total, frameSize, random, false);
    }

    /** As {@link #pump(long, int, Random)}, with a ping after each binary frame. */
    Pump pumpWithPings(long total, int frameSize, Random random) {
        return pump(total, frameSize, random, true);
    }

    private Pump pump(long total, int frameSize, Random random, boolean pings) {
        Pump started = new Pump(total, frameSize, random, pings);
        pump = started;
        channel.eventLoop().execute(started::more);
        return started;
    }

    /** Writes while the channel is writable; counts the bytes the socket took. */
    public final class Pump {
        final long total;
        final int frameSize;
        final Random random;
        final boolean pings;
        final MessageDigest sent;
        final AtomicLong flushed = new AtomicLong();
        public final CompletableFuture<byte[]> done = new CompletableFuture<>();
        private long queued;

        Pump(long total, int frameSize, Random random, boolean pings) {
            this.total = total;
            this.frameSize = frameSize;
            this.random = random;
            this.pings = pings;
            try {
                this.sent = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        void more() {
            while (queued < total && channel.isWritable()) {
                int n = (int) Math.min(frameSize, total - queued);
                byte[] bytes = new byte[n];
                random.nextBytes(bytes);
                sent.update(bytes);
                queued += n;
                boolean last = queued == total;
                ChannelFuture written = channel.write(
                        new BinaryWebSocketFrame(channel.alloc().buffer(n).writeBytes(bytes)));
                if (pings) {
                    channel.write(new PingWebSocketFrame(channel.alloc().buffer(8).writeLong(queued)));
                }
                channel.flush();
                written.addListener(f -> {
                    if (f.isSuccess() && flushed.addAndGet(n) == total) {
                        done.complete(sent.digest());
                    } else if (!f.isSuccess()) {
                        done.completeExceptionally(f.cause());
                    }
                });
                if (last) {
                    return;
                }
            }
        }
    }

    private final class Receiver extends SimpleChannelInboundHandler<WebSocketFrame> {
        private final CompletableFuture<Void> upgraded;

        Receiver(CompletableFuture<Void> upgraded) {
            this.upgraded = upgraded;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
            ByteBuf content = frame.content();
            if (digesting && (frame instanceof BinaryWebSocketFrame || frame instanceof ContinuationWebSocketFrame)) {
                synchronized (digest) {
                    digest.update(content.nioBuffer());
                }
                if (digested.addAndGet(content.readableBytes()) == expected) {
                    allDigested.complete(digest.digest());
                }
                return;
            }
            if (frame instanceof CloseWebSocketFrame) {
                CloseWebSocketFrame close = (CloseWebSocketFrame) frame;
                received.add(new Frame(CLOSE, true, new byte[0], close.statusCode(), close.reasonText()));
                return;
            }
            String kind = frame instanceof TextWebSocketFrame ? TEXT : frame instanceof BinaryWebSocketFrame ? BINARY
                    : frame instanceof PongWebSocketFrame ? PONG : CONTINUATION;
            received.add(new Frame(kind, frame.isFinalFragment(), ByteBufUtil.getBytes(content), -1, null));
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            Pump current = pump;
            if (current != null && ctx.channel().isWritable()) {
                current.more();
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt == ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
                upgraded.complete(null);
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            upgraded.completeExceptionally(cause);
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            upgraded.completeExceptionally(new IllegalStateException("closed before the upgrade"));
            received.add(new Frame(GONE, true, new byte[0], -1, null));
            ctx.fireChannelInactive();
        }
    }

    @Override
    public String toString() {
        return "peer " + (channel == null ? "" : ((InetSocketAddress) channel.localAddress()).getPort());
    }
}
