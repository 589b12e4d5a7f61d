package dev.mproxy.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mproxy.auth.DeviceToken;
import dev.mproxy.auth.GatewaySecret;
import dev.mproxy.auth.TokenSigner;
import dev.mproxy.protocol.MessageType;
import dev.mproxy.protocol.MproxyMessage;
import dev.mproxy.protocol.MproxyMessageDecoder;
import dev.mproxy.protocol.MproxyMessageEncoder;
import dev.mproxy.transport.Transport;
import dev.mproxy.tunnel.ControlMessages;
import dev.mproxy.tunnel.Grant;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A WebSocket client that sends and reads M-PROXY messages one by one. */
final class RawDevice implements AutoCloseable {
    private final GatewaySecret secret;
    final Channel channel;
    final BlockingQueue<MproxyMessage> received = new LinkedBlockingQueue<>();
    final CompletableFuture<CloseWebSocketFrame> closeFrame = new CompletableFuture<>();
    private final EmbeddedChannel decoder = new EmbeddedChannel(new MproxyMessageDecoder());
    private final CompletableFuture<Void> upgraded = new CompletableFuture<>();

    RawDevice(EventLoopGroup group, InetSocketAddress gateway, GatewaySecret secret) throws Exception {
        this.secret = secret;
        WebSocketClientProtocolConfig ws = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(URI.create("ws://127.0.0.1:" + gateway.getPort() + "/"))
                .handleCloseFrames(false)
                .build();
        channel = new Bootstrap().group(group).channel(Transport.socketChannel())
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(65536),
                                new WebSocketClientProtocolHandler(ws), new Frames());
                    }
                }).connect(gateway).sync().channel();
        upgraded.get(10, TimeUnit.SECONDS);
    }

    void send(MproxyMessage m) {
        ByteBuf bytes = MproxyMessageEncoder.INSTANCE.encode(ByteBufAllocator.DEFAULT, m);
        m.release();
        channel.writeAndFlush(new BinaryWebSocketFrame(bytes));
    }

    /** Answers {@code hello} and authenticates in-band with a token for {@code ports}; returns after the grant. */
    void authenticate(List<Integer> ports) throws Exception {
        Grant grant = authenticate("raw", ports, List.of());
        assertEquals(ports.size(), grant.ports().size(), grant.toString());
    }

    /** Authenticates in-band as {@code device} and returns the grant, with the refusals sent before it. */
    Grant authenticate(String device, List<Integer> ports, List<String> domains) throws Exception {
        control(); // hello
        send(ControlMessages.command(3, "add_token", new TokenSigner(secret, Clock.systemUTC())
                .sign(new DeviceToken(device, ports, domains, null))));
        assertEquals("[-3,null]", control().toString());
        return grant();
    }

    /** The next grant: the refusals ({@code [0, {...}]}) up to it, then its telebit-shaped entries (control 2.4). */
    Grant grant() throws Exception {
        List<Grant.Refusal> refused = new ArrayList<>();
        for (JsonNode m = control(); ; m = control()) {
            if (m.get(0).intValue() == 0) {
                refused.add(Grant.Refusal.fromError(m.get(1)));
            } else {
                assertEquals("grant", m.get(1).textValue(), m.toString());
                return Grant.fromTelebit(m.get(2), refused);
            }
        }
    }

    /** The next message, which must not be a control message; the caller releases it. */
    MproxyMessage nextStreamMessage() throws InterruptedException {
        MproxyMessage m = received.poll(10, TimeUnit.SECONDS);
        assertNotNull(m, "a stream message within 10 s");
        if (m.type() == MessageType.CONTROL) {
            String json = m.content().toString(StandardCharsets.UTF_8);
            m.release();
            fail("expected a stream message, found control " + json);
        }
        return m;
    }

    /** The bodies of the next data messages, {@code length} bytes in all. */
    byte[] readData(int length) throws InterruptedException {
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        while (data.size() < length) {
            MproxyMessage m = nextStreamMessage();
            try {
                assertEquals(MessageType.DATA, m.type(), "data until " + length + " bytes (got " + data.size() + ')');
                data.writeBytes(ByteBufUtil.getBytes(m.content()));
            } finally {
                m.release();
            }
        }
        return data.toByteArray();
    }

    /** The next control message's JSON. */
    JsonNode control() throws Exception {
        MproxyMessage m = received.poll(10, TimeUnit.SECONDS);
        try {
            return ControlMessages.parse(m);
        } finally {
            m.release();
        }
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        decoder.finishAndReleaseAll();
        MproxyMessage m;
        while ((m = received.poll()) != null) {
            m.release();
        }
    }

    private final class Frames extends SimpleChannelInboundHandler<WebSocketFrame> {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
                upgraded.complete(null);
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
            if (frame instanceof CloseWebSocketFrame) {
                closeFrame.complete(((CloseWebSocketFrame) frame).retain());
            } else if (frame instanceof BinaryWebSocketFrame) {
                decoder.writeInbound(frame.content().retain());
                MproxyMessage m;
                while ((m = decoder.readInbound()) != null) {
                    received.add(m);
                }
            }
        }
    }
}
