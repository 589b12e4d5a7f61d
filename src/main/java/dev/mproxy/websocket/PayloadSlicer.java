package dev.mproxy.websocket;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;
import java.util.List;

/**
 * In front of Netty's frame decoder on a tunnel: the payload of a binary message is handed on as slices of the
 * bytes read, as they arrive, not copied. Netty's decoder holds each frame until all of it has come, merging the
 * reads that carried it into one buffer, then copies the frame into another; at 64 KiB frames, under the
 * launcher's small heap, Netty's allocator pools neither buffer and both come zeroed from the system: 9-13 µs per
 * frame against 4-5 here (bench/InboundCost.java, bench/README.md "Fourth pass"). A frame is handed on
 * in the frames Netty would have made of it, cut where the reads end: RFC 6455 §5.4 lets an intermediary change a
 * message's fragmentation when no extension is in use, and the tunnel reads a byte stream (rule 2.8).
 *
 * <p>Everything else goes to Netty's decoder as it came: control frames, text messages, what the decoder refuses,
 * and everything after a close, so that its checks and its errors stay as they were. A binary frame is checked
 * here in the decoder's order and refused with the decoder's status and words (control 1.2.1):
 * its reserved bits and mask before its place in the message, its place before its length.
 */
public final class PayloadSlicer extends InFrontOfTheDecoder {

    private enum State {
        /** Waiting for the first two bytes of a frame, or all of a binary frame's header. */
        HEADER,
        /** Handing on a binary frame's payload as it arrives. */
        PAYLOAD,
        /** Passing a control frame to the decoder. */
        PASS_FRAME,
        /** After a close, or a frame that is not a binary message's: everything goes to the decoder. */
        PASS_ALL,
        /** After a frame refused here: everything is dropped, as the decoder drops what follows one it refused. */
        REFUSED
    }

    private final boolean peerMasks;
    /** Bytes of mask key in each frame's header: 4 if the peer masks. */
    private final int maskLength;
    private final int maxFramePayload;
    private State state = State.HEADER;
    /** Inside a binary message: its last frame had no FIN. */
    private boolean inMessage;
    /** Bytes of the current frame still to come: its payload's (PAYLOAD), or all of it (PASS_FRAME). */
    private long remaining;
    private State afterFrame;
    private boolean fin;
    private boolean firstPiece;
    private int frameOpcode;
    private int maskKey;
    /** Payload bytes of the current frame handed on so far: where the next piece falls in the mask's cycle. */
    private long payloadOffset;

    /**
     * @param peerMasks       whether the peer masks its frames: true on the WebSocket's server side
     * @param maxFramePayload the decoder's limit; a longer binary frame is refused with its words
     */
    public PayloadSlicer(boolean peerMasks, int maxFramePayload) {
        this.peerMasks = peerMasks;
        this.maskLength = peerMasks ? 4 : 0;
        this.maxFramePayload = maxFramePayload;
    }

    /**
     * Puts a slicer in front of {@code pipeline}'s frame decoder if that decoder stands between two frames, outside
     * a message and before any close: the slicer would otherwise start inside a frame or a message it never saw.
     * A peer that sends frames before the handshake's response has reached it can leave the decoder elsewhere;
     * such a tunnel decodes all its frames in Netty's decoder, as before.
     */
    public static void addInFront(ChannelPipeline pipeline, boolean peerMasks, int maxFramePayload) {
        ChannelHandlerContext decoder = pipeline.context(WebSocketFrameDecoder.class);
        if (decoder != null && DecoderState.betweenFrames(decoder.handler())) {
            pipeline.addBefore(decoder.name(), null, new PayloadSlicer(peerMasks, maxFramePayload));
        }
    }

    @Override
    boolean step(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        switch (state) {
            case HEADER:
                return header(ctx, in, out);
            case PAYLOAD:
                return payload(ctx, in, out);
            case PASS_FRAME:
                return passFrame(in);
            case PASS_ALL:
                return passAll(in);
            default:
                return dropAll(in);
        }
    }

    /** Reads a frame's header as far as needed to know who decodes it; false when more bytes are needed. */
    private boolean header(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int available = in.readableBytes() - passed;
        if (available < 2) {
            return false;
        }
        int at = in.readerIndex() + passed;
        int b0 = in.getUnsignedByte(at);
        int b1 = in.getUnsignedByte(at + 1);
        int opcode = b0 & 0x0f;
        int length7 = b1 & 0x7f;
        if ((b0 & 0x70) != 0 || ((b1 & MASK) != 0) != peerMasks) {
            state = State.PASS_ALL; // reserved bits or a mask not as expected: the decoder refuses it
            return true;
        }
        if (opcode >= OPCODE_CLOSE) {
            if ((b0 & FIN) == 0 || length7 > 125 || opcode > 10) {
                state = State.PASS_ALL; // a control frame the decoder refuses
            } else {
                state = State.PASS_FRAME;
                afterFrame = opcode == OPCODE_CLOSE ? State.PASS_ALL : State.HEADER;
                remaining = 2 + maskLength + length7;
            }
            return true;
        }
        if (opcode > OPCODE_BINARY || opcode == OPCODE_CONTINUATION && !inMessage
                || opcode == OPCODE_TEXT && !inMessage) {
            state = State.PASS_ALL; // a reserved opcode, a continuation of nothing or a text message: the decoder's
            return true;
        }
        if (inMessage && opcode != OPCODE_CONTINUATION) {
            throw refuseFrame(ctx, in, out, WebSocketCloseStatus.PROTOCOL_ERROR,
                    "received non-continuation data frame while inside fragmented message");
        }
        return binaryHeader(ctx, in, out, at, b0, length7, available);
    }

    /** Reads a binary message's frame header, or waits for all of it; then hands on what came before it. */
    private boolean binaryHeader(ChannelHandlerContext ctx, ByteBuf in, List<Object> out, int at, int b0,
                                 int length7, int available) {
        int lengthBytes = lengthBytes(length7);
        int headerLength = 2 + lengthBytes + maskLength;
        if (available < 2 + lengthBytes) {
            return false;
        }
        long length = payloadLength(in, at, length7);
        if (length >= 0 && notShortest(length7, length)) {
            throw refuseFrame(ctx, in, out, WebSocketCloseStatus.PROTOCOL_ERROR,
                    "invalid data frame length (not using minimal length encoding)");
        }
        if (length < 0) {
            throw refuseFrame(ctx, in, out, WebSocketCloseStatus.PROTOCOL_ERROR,
                    "invalid data frame length (negative length)");
        }
        if (length > maxFramePayload) {
            throw refuseFrame(ctx, in, out, WebSocketCloseStatus.MESSAGE_TOO_BIG,
                    "Max frame length of " + maxFramePayload + " has been exceeded.");
        }
        if (available < headerLength) {
            return false;
        }
        handOn(in, out);
        frameOpcode = b0 & 0x0f;
        fin = (b0 & FIN) != 0;
        maskKey = peerMasks ? in.getInt(in.readerIndex() + 2 + lengthBytes) : 0;
        in.skipBytes(headerLength);
        inMessage = !fin;
        remaining = length;
        payloadOffset = 0;
        firstPiece = true;
        if (length == 0) {
            out.add(frame(Unpooled.EMPTY_BUFFER));
        } else {
            state = State.PAYLOAD;
        }
        return true;
    }

    /** Hands on what there is of the payload, unmasked; false when more bytes are needed. */
    private boolean payload(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int available = in.readableBytes();
        if (available == 0) {
            return false;
        }
        int n = (int) Math.min(available, remaining);
        ByteBuf piece = in.readRetainedSlice(n);
        if (maskKey != 0) {
            // the key as it stands at this piece's first byte: the mask repeats every 4 bytes of the payload
            int key = Integer.rotateLeft(maskKey, 8 * (int) (payloadOffset & 3));
            ByteBuf masked = piece;
            try {
                piece = MaskedFrames.masked(ctx.alloc(), masked, key);
            } finally {
                masked.release();
            }
        }
        payloadOffset += n;
        remaining -= n;
        out.add(frame(piece));
        if (remaining == 0) {
            state = State.HEADER;
        }
        return true;
    }

    /** A piece of the current frame as the decoder would have made it: the frame's opcode on the first only. */
    private Object frame(ByteBuf piece) {
        boolean last = fin && remaining == 0;
        boolean first = firstPiece;
        firstPiece = false;
        return first && frameOpcode == OPCODE_BINARY
                ? new BinaryWebSocketFrame(last, 0, piece)
                : new ContinuationWebSocketFrame(last, 0, piece);
    }

    /** Passes what there is of a control frame to the decoder; false when more bytes are needed. */
    private boolean passFrame(ByteBuf in) {
        int available = in.readableBytes() - passed;
        if (available == 0) {
            return false;
        }
        int n = (int) Math.min(available, remaining);
        passed += n;
        remaining -= n;
        if (remaining == 0) {
            state = afterFrame;
        }
        return true;
    }

    /** Refuses the frame after the bytes passed so far: those go on, all after is dropped. */
    private CorruptedWebSocketFrameException refuseFrame(ChannelHandlerContext ctx, ByteBuf in, List<Object> out,
                                                         WebSocketCloseStatus status, String reason) {
        state = State.REFUSED;
        return refuse(ctx, in, out, status, reason);
    }
}
