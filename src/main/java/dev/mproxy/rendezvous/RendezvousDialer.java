package dev.mproxy.rendezvous;

import dev.mproxy.guard.RemoteText;
import dev.mproxy.config.GatewayUris;
import dev.mproxy.tls.ClientTls;
import dev.mproxy.tls.TlsFailures;
import dev.mproxy.transport.Transport;
import dev.mproxy.tunnel.ControlMessages;
import dev.mproxy.websocket.PingResponder;
import dev.mproxy.websocket.WebSocketFrameCodec;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;

/**
 * Joins relay ids at one gateway (rendezvous 6.1, 6.2): opens {@code /relay?id=ID} with the token, if any, and
 * waits for the greeting. The result is a paired WebSocket ready for a {@link dev.mproxy.relay.Relay}: its
 * {@link WebSocketEnd} carries bytes in binary frames and reads nothing until the relay starts.
 */
public final class RendezvousDialer {

    /** A refusal's JSON body is short; anything longer is not our gateway's. */
    private static final int MAX_RESPONSE = 64 * 1024;

    /** The greeting that says the session is recorded (rendezvous 2.6). */
    private static final String RECORDED = "cr";

    private final URI gateway;
    private final String token;
    private final ClientTls tls;
    private final OffLoopResolver resolver;

    /**
     * @param gateway {@code wss://HOST:PORT} or {@code ws://HOST:PORT} (behind another TLS terminator)
     * @param token   a device token, sent as {@code Authorization: Bearer}; null to join unauthenticated
     * @param tls     how to trust a {@code wss} gateway; null for {@code ws}
     */
    public RendezvousDialer(URI gateway, String token, ClientTls tls) {
        this(gateway, token, tls, OffLoopResolver.SYSTEM);
    }

    /** As the public constructor, looking host names up with {@code resolver}. */
    RendezvousDialer(URI gateway, String token, ClientTls tls, OffLoopResolver resolver) {
        this.gateway = Objects.requireNonNull(gateway, "gateway");
        this.token = token;
        this.tls = tls;
        this.resolver = Objects.requireNonNull(resolver, "resolver");
        GatewayUris.check(gateway);
        if (GatewayUris.isSecure(gateway) && tls == null) {
            throw new IllegalArgumentException("a wss gateway needs a TLS trust setting");
        }
    }

    /** The WebSocket URI that joins {@code id}. */
    public URI uri(String id) {
        try {
            return new URI(gateway.getScheme().toLowerCase(Locale.ROOT), null, gateway.getHost(), port(),
                    RendezvousRequest.PATH, "id=" + RendezvousId.check(id), null);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("gateway " + gateway + ": " + e.getMessage(), e);
        }
    }

    private int port() {
        return gateway.getPort() > 0 ? gateway.getPort() : tls != null ? 443 : 80;
    }

    /**
     * Joins {@code id} from {@code loop}: the future succeeds once the gateway has greeted the pair, with the
     * WebSocket on {@code loop}, and fails with a {@link RendezvousJoinException} saying why it did not.
     */
    Future<Joined> join(EventLoop loop, String id) {
        URI uri = uri(id);
        Promise<Joined> joined = loop.newPromise();
        // the name stays for SNI and the Host header; the address is looked up off the loop
        resolver.resolve(loop, InetSocketAddress.createUnresolved(uri.getHost(), uri.getPort())).addListener(
                (Future<InetSocketAddress> resolved) -> {
                    if (resolved.isSuccess()) {
                        connect(loop, resolved.getNow(), uri, id, joined);
                    } else {
                        cannotReach(joined, resolved.cause());
                    }
                });
        return joined;
    }

    /** How {@link RendezvousClient} looks up the names of local services too. */
    OffLoopResolver resolver() {
        return resolver;
    }

    private void connect(EventLoop loop, InetSocketAddress address, URI uri, String id, Promise<Joined> joined) {
        HttpHeaders headers = new DefaultHttpHeaders();
        if (token != null) {
            headers.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token);
        }
        WebSocketClientProtocolConfig webSocket = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(uri)
                .version(WebSocketVersion.V13)
                .customHeaders(headers)
                .maxFramePayloadLength(Rendezvous.MAX_FRAME_PAYLOAD)
                .handleCloseFrames(false) // a close frame ends one direction: WebSocketEnd carries it
                .sendCloseFrame(null)
                .dropPongFrames(true)
                .handshakeTimeoutMillis(10_000)
                .build();
        String host = uri.getHost();
        int port = uri.getPort();
        new Bootstrap().group(loop).channel(Transport.socketChannel())
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ChannelPipeline p = ch.pipeline();
                        if (tls != null) {
                            p.addLast(tls.newHandler(ch.alloc(), host, port));
                        }
                        p.addLast(new HttpClientCodec(), new HttpObjectAggregator(MAX_RESPONSE),
                                new RefusalReader(joined), PingResponder.INSTANCE,
                                new WebSocketClientProtocolHandler(webSocket),
                                new Greeting(joined, id));
                    }
                })
                .connect(address)
                .addListener((ChannelFutureListener) f -> {
                    if (!f.isSuccess()) {
                        cannotReach(joined, f.cause());
                    }
                });
    }

    private void cannotReach(Promise<Joined> joined, Throwable cause) {
        joined.tryFailure(new RendezvousJoinException(RendezvousJoinException.Kind.FAILED,
                "cannot reach gateway " + gateway + ": " + TlsFailures.describe(cause), cause));
    }

    /**
     * A paired WebSocket.
     *
     * @param end      the relay endpoint: bytes in binary frames, reading off until the relay starts
     * @param recorded whether the gateway said the session is recorded ({@code cr})
     */
    record Joined(WebSocketEnd end, boolean recorded) {
    }

    /** Reads why the gateway refused the upgrade (rendezvous 1.2-1.4) from its JSON body before Netty drops it. */
    private static final class RefusalReader extends ChannelInboundHandlerAdapter {
        private final Promise<Joined> joined;

        RefusalReader(Promise<Joined> joined) {
            this.joined = joined;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof FullHttpResponse
                    && !HttpResponseStatus.SWITCHING_PROTOCOLS.equals(((FullHttpResponse) msg).status())) {
                FullHttpResponse response = (FullHttpResponse) msg;
                String why = response.status() + reason(response.content().toString(StandardCharsets.UTF_8));
                response.release();
                joined.tryFailure(new RendezvousJoinException(RendezvousJoinException.Kind.REFUSED_UPGRADE,
                        "gateway refused the relay: " + why, null));
                ctx.close();
                return;
            }
            ctx.pipeline().remove(this);
            ctx.fireChannelRead(msg);
        }

        /** The gateway's {@code message}, or the body itself when it is not our JSON. */
        private static String reason(String body) {
            String message = ControlMessages.errorMessage(body);
            message = (message != null ? message : body).strip(); // not our JSON: say what came instead
            return message.isEmpty() ? "" : ": " + RemoteText.quoted(message);
        }
    }

    /** Waits for {@code c} or {@code cr} (rendezvous 6.2), then hands the WebSocket over. */
    private static final class Greeting extends ChannelInboundHandlerAdapter {
        private final Promise<Joined> joined;
        private final String id;

        Greeting(Promise<Joined> joined, String id) {
            this.joined = joined;
            this.id = id;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof CloseWebSocketFrame) {
                CloseWebSocketFrame close = (CloseWebSocketFrame) msg;
                int status = close.statusCode();
                String reason = close.reasonText().isEmpty() ? "" : " " + RemoteText.quoted(close.reasonText());
                close.release();
                fail(ctx, status == WebSocketCloseStatus.TRY_AGAIN_LATER.code() ? RendezvousJoinException.Kind.HOLD_TIMEOUT
                        : RendezvousJoinException.Kind.FAILED, "gateway closed relay id " + id + " before a peer joined: "
                        + (status < 0 ? "no status" : status + reason));
                return;
            }
            String text = msg instanceof TextWebSocketFrame && ((TextWebSocketFrame) msg).isFinalFragment()
                    ? ((TextWebSocketFrame) msg).text() : null;
            String type = msg.getClass().getSimpleName();
            ReferenceCountUtil.release(msg);
            if (Rendezvous.GREETING.equals(text) || RECORDED.equals(text)) {
                ctx.channel().config().setAutoRead(false);
                ctx.pipeline().replace(this, null, WebSocketFrameCodec.client(ctx.pipeline()));
                WebSocketEnd end = WebSocketEnd.atClient(ctx.channel());
                if (!joined.trySuccess(new Joined(end, RECORDED.equals(text)))) {
                    ctx.close();
                }
                return;
            }
            String what = text == null ? "a " + type
                    : text.length() <= 20 ? RemoteText.quoted(text) : "a longer text message";
            ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.PROTOCOL_ERROR,
                    "expected: 'c' or 'cr'"));
            fail(ctx, RendezvousJoinException.Kind.FAILED, "gateway sent " + what + " (expected: 'c' or 'cr')");
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            fail(ctx, RendezvousJoinException.Kind.FAILED, "relay to " + ctx.channel().remoteAddress() + " failed: "
                    + TlsFailures.describe(cause));
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            joined.tryFailure(new RendezvousJoinException(RendezvousJoinException.Kind.FAILED,
                    "gateway closed the connection before a peer joined relay id " + id, null));
            ctx.fireChannelInactive();
        }

        private void fail(ChannelHandlerContext ctx, RendezvousJoinException.Kind kind, String message) {
            joined.tryFailure(new RendezvousJoinException(kind, message, null));
            ctx.close();
        }
    }
}
