package dev.mproxy.tunnel;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Carries the M-PROXY byte stream in binary WebSocket frames. Frame boundaries mean nothing (rule 2.8:
 * telebit sends header and body as two messages), so each frame's payload is passed on as plain bytes. A text
 * frame is refused: telebit's device garbled its parser with them.
 */
@Sharable
public final class WebSocketFrameCodec extends MessageToMessageCodec<WebSocketFrame, Object> {

    public static final WebSocketFrameCodec INSTANCE = new WebSocketFrameCodec();

    /** A close reason is at most 123 bytes of UTF-8 (RFC 6455 §5.5: control payload ≤ 125, 2 for the code). */
    private static final int MAX_REASON_BYTES = 123;

    private WebSocketFrameCodec() {
    }

    @Override
    public boolean acceptOutboundMessage(Object msg) {
        return msg instanceof ByteBuf || msg instanceof TunnelClose;
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Object msg, List<Object> out) {
        if (msg instanceof TunnelClose) {
            TunnelClose close = (TunnelClose) msg;
            out.add(new CloseWebSocketFrame(close.status(), reason(close.reason())));
        } else {
            out.add(new BinaryWebSocketFrame(((ByteBuf) msg).retain()));
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

    /** Cuts a reason to what a close frame can hold, on a character boundary. */
    static String reason(String reason) {
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
