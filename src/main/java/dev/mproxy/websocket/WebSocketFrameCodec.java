package dev.mproxy.websocket;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.MessageToMessageCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.ssl.SslHandler;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Carries a byte stream in binary WebSocket frames: the tunnel's M-PROXY messages, or a rendezvous client's bytes
 * (rendezvous 6.3). Frame boundaries mean nothing (rule 2.8: telebit sends header and body as two messages), so
 * each frame's payload is passed on as plain bytes. A text frame is refused: telebit's device garbled its parser
 * with them.
 */
@Sharable
public final class WebSocketFrameCodec extends MessageToMessageCodec<WebSocketFrame, Object> {

    /** The gateway's side: payloads go out unmasked, as they are, through Netty's frame encoder. */
    public static final WebSocketFrameCodec SERVER = new WebSocketFrameCodec(Masking.NONE);

    /**
     * The side that dials out, over plain TCP: it masks its frames with a fresh random key each (RFC 6455
     * §5.3). Binary frames are written here already encoded, by {@link MaskedFrames}, and pass Netty's frame
     * encoder as plain bytes; Netty still masks the control frames (ping, pong, close) it writes itself.
     */
    private static final WebSocketFrameCodec CLIENT = new WebSocketFrameCodec(Masking.RANDOM_KEY);

    /**
     * The side that dials out, inside TLS: its binary frames carry the key 0 (control 1.2). Masking keeps a
     * page's script from choosing the bytes a proxy on the path reads as HTTP (RFC 6455 §10.3); inside TLS no
     * proxy reads them. With key 0 the payload goes out uncopied and the gateway's decoder skips unmasking: per
     * 64 KiB frame 8-12 µs fewer here and 6-10 µs fewer on the gateway (bench/MaskCost.java).
     */
    private static final WebSocketFrameCodec CLIENT_IN_TLS = new WebSocketFrameCodec(Masking.ZERO_KEY);

    private enum Masking { NONE, RANDOM_KEY, ZERO_KEY }

    /** A close reason is at most 123 bytes of UTF-8 (RFC 6455 §5.5: control payload ≤ 125, 2 for the code). */
    private static final int MAX_REASON_BYTES = 123;

    private final Masking masking;

    private WebSocketFrameCodec(Masking masking) {
        this.masking = masking;
    }

    /** The codec of the side that dialed {@code pipeline}'s WebSocket: keyed by whether TLS carries it. */
    public static WebSocketFrameCodec client(ChannelPipeline pipeline) {
        return pipeline.get(SslHandler.class) != null ? CLIENT_IN_TLS : CLIENT;
    }

    /** Whether the peer masks its frames: a server's peer, the client, must (RFC 6455 §5.1). */
    public boolean peerMasks() {
        return masking == Masking.NONE;
    }

    @Override
    public boolean acceptOutboundMessage(Object msg) {
        return msg instanceof ByteBuf || msg instanceof WebSocketClose;
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Object msg, List<Object> out) {
        if (msg instanceof WebSocketClose) {
            WebSocketClose close = (WebSocketClose) msg;
            out.add(new CloseWebSocketFrame(close.status(), closeReason(close.reason())));
        } else {
            ByteBuf payload = (ByteBuf) msg;
            switch (masking) {
                case NONE:
                    out.add(new BinaryWebSocketFrame(payload.retain()));
                    break;
                case RANDOM_KEY:
                    out.add(MaskedFrames.binary(ctx.alloc(), payload, ThreadLocalRandom.current().nextInt()));
                    break;
                case ZERO_KEY:
                    out.add(MaskedFrames.zeroKeyHeader(ctx.alloc(), payload.readableBytes()));
                    out.add(payload.retain());
            }
        }
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, WebSocketFrame frame, List<Object> out) {
        if (frame instanceof BinaryWebSocketFrame || frame instanceof ContinuationWebSocketFrame) {
            out.add(frame.content().retain());
        } else if (frame instanceof TextWebSocketFrame) {
            throw new CorruptedWebSocketFrameException(WebSocketCloseStatus.INVALID_MESSAGE_TYPE,
                    "text frame on a tunnel (expected: binary frames)");
        } else {
            out.add(frame.retain()); // ping, pong, close: for the protocol handlers
        }
    }

    /**
     * {@code reason} cut to what a close frame can hold (123 bytes of UTF-8) on a character boundary, ending in
     * {@code ...} when cut; as it is when it fits.
     */
    public static String closeReason(String reason) {
        byte[] bytes = reason.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= MAX_REASON_BYTES) {
            return reason;
        }
        int end = MAX_REASON_BYTES - 3;
        while (end > 0 && (bytes[end] & 0xC0) == 0x80) {
            end--;
        }
        return new String(bytes, 0, end, StandardCharsets.UTF_8) + "...";
    }
}
