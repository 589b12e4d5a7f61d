package dev.mproxy.websocket;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import java.util.List;

/**
 * A handler on a connection's bytes in front of Netty's frame decoder, which reads frame headers itself: bytes it
 * leaves as they are go on together, as one slice of what was read, not frame by frame, so that the decoder reads
 * them as it would have without this handler and nothing more is copied.
 */
abstract class InFrontOfTheDecoder extends ByteToMessageDecoder {

    // a frame header's first two bytes (RFC 6455 §5.2)
    static final int FIN = 0x80;
    static final int MASK = 0x80;
    static final int OPCODE_CONTINUATION = 0;
    static final int OPCODE_TEXT = 1;
    static final int OPCODE_BINARY = 2;
    static final int OPCODE_CLOSE = 8;

    /** Bytes from the input's reader index on that pass unchanged and are not handed on yet. */
    int passed;

    @Override
    protected final void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        passed = 0;
        try {
            while (step(ctx, in, out)) {
                // each step reads a header or passes a frame's bytes on
            }
        } finally {
            handOn(in, out);
        }
    }

    /** Takes the next step on {@code in}; false when more bytes are needed. */
    abstract boolean step(ChannelHandlerContext ctx, ByteBuf in, List<Object> out);

    /** Passes all that is left to the decoder; false: nothing more to look at. */
    final boolean passAll(ByteBuf in) {
        passed = in.readableBytes();
        return false;
    }

    /** Drops all that is left; false: nothing more to look at. */
    static boolean dropAll(ByteBuf in) {
        in.skipBytes(in.readableBytes());
        return false;
    }

    /**
     * Refuses what follows the bytes passed so far, as Netty's decoder refuses a frame: what came before goes on
     * first, so that the answers to it (pongs, the tunnel's replies) are written before the close; the rest is
     * dropped; a close frame with {@code status} and {@code reason} is sent and the connection closed once it is
     * written. Returns the exception to throw.
     */
    final CorruptedWebSocketFrameException refuse(ChannelHandlerContext ctx, ByteBuf in, List<Object> out,
                                                  WebSocketCloseStatus status, String reason) {
        handOn(in, out);
        in.skipBytes(in.readableBytes());
        for (Object earlier : out) {
            ctx.fireChannelRead(earlier);
        }
        out.clear();
        if (ctx.channel().isActive()) {
            // through the whole pipeline: the frame encoder may sit behind this handler
            ctx.channel().writeAndFlush(new CloseWebSocketFrame(status, WebSocketFrameCodec.closeReason(reason)))
                    .addListener(ChannelFutureListener.CLOSE);
        }
        return new CorruptedWebSocketFrameException(status, reason);
    }

    /** Bytes of extended payload length after a header's first two bytes, for a 7-bit length of {@code length7}. */
    static int lengthBytes(int length7) {
        return length7 == 126 ? 2 : length7 == 127 ? 8 : 0;
    }

    /** The payload length of the header at {@code at}, its extended length all there; may be negative. */
    static long payloadLength(ByteBuf in, int at, int length7) {
        return length7 < 126 ? length7 : length7 == 126 ? in.getUnsignedShort(at + 2) : in.getLong(at + 2);
    }

    /** Whether a non-negative {@code length} was sent in a longer form than it needs, which the decoder refuses. */
    static boolean notShortest(int length7, long length) {
        return length7 == 126 && length < 126 || length7 == 127 && length < 0x10000;
    }

    /** Hands on the bytes passed so far, unchanged, as one slice of the input. */
    final void handOn(ByteBuf in, List<Object> out) {
        if (passed > 0) {
            out.add(in.readRetainedSlice(passed));
            passed = 0;
        }
    }
}
