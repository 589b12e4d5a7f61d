package dev.mproxy.websocket;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * Cuts a WebSocket server's long incoming frames into fragments, on the connection's bytes in front of Netty's
 * frame decoder, which holds each frame whole until it has all of it: a data frame longer than {@code maxWhole}
 * goes on as a fragmented message of frames of {@value #PIECE} bytes, each passed on as its bytes arrive, so
 * that a message of any size crosses with at most {@code maxWhole} of it held. RFC 6455 §5.4 lets an
 * intermediary change the fragmentation of a message that uses no extension; the message and its bytes stay the
 * same. Payloads stay masked as they came: {@value #PIECE} is a multiple of 4, so each fragment keeps the frame's
 * mask key. Everything else passes untouched, and Netty's decoder checks it all (masking, opcodes, lengths,
 * UTF-8) as before. Optionally a message longer than {@code maxMessage} closes the connection with 1009.
 */
public final class FrameSplitter extends InFrontOfTheDecoder {

    /** The fragments of a long frame: small enough to hold, large enough to keep framing overhead negligible. */
    public static final int PIECE = 64 * 1024;


    private enum State {
        /** Waiting for a whole frame header. */
        HEADER,
        /** Passing on a frame's payload, or cutting it into fragments. */
        PAYLOAD,
        /** After a close frame, or a header the decoder will refuse: nothing more to look at. */
        PASS_ALL,
        /** The message cap was passed: everything is dropped. */
        TOO_BIG
    }

    private final int maxWhole;
    private final long maxMessage;
    private final LongConsumer frameLengths;
    private State state = State.HEADER;
    /** Payload bytes of the frame being passed on still to come. */
    private long remaining;
    /** What follows the frame being passed on: a close frame is the last one looked at. */
    private State afterPayload;
    /** Cutting the frame being passed on into fragments. */
    private boolean splitting;
    private int firstBits;
    private boolean fin;
    private int maskKey;
    private boolean firstPiece;
    /** Payload bytes of the current fragment still to come. */
    private long pieceLeft;
    /** The bytes of the message being received, as its frames' headers declare them. */
    private long messageBytes;
    /** Inside a fragmented message: the last data frame had no FIN. */
    private boolean inMessage;

    /**
     * @param maxWhole     the longest frame passed on whole; longer ones are cut into {@value #PIECE}-byte fragments
     * @param maxMessage   the longest message a peer may send, its frames added up; 0 for no limit
     * @param frameLengths told the length of each frame passed on to the decoder, fragments as such: how much of
     *                     one frame the decoder holds at most
     */
    public FrameSplitter(int maxWhole, long maxMessage, LongConsumer frameLengths) {
        if (maxWhole < PIECE) {
            throw new IllegalArgumentException("maxWhole: " + maxWhole + " (expected: >= " + PIECE + ')');
        }
        if (maxMessage < 0) {
            throw new IllegalArgumentException("maxMessage: " + maxMessage + " (expected: >= 0, 0 for no limit)");
        }
        this.maxWhole = maxWhole;
        this.maxMessage = maxMessage;
        this.frameLengths = frameLengths;
    }

    @Override
    boolean step(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        switch (state) {
            case HEADER:
                return header(ctx, in, out);
            case PAYLOAD:
                return payload(ctx, in, out);
            case PASS_ALL:
                return passAll(in);
            default:
                return dropAll(in);
        }
    }

    /** Reads a frame header if it is all there (RFC 6455 §5.2); false when more bytes are needed. */
    private boolean header(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int available = in.readableBytes() - passed;
        if (available < 2) {
            return false;
        }
        int at = in.readerIndex() + passed;
        int b0 = in.getUnsignedByte(at);
        int b1 = in.getUnsignedByte(at + 1);
        if (refusedByTheDecoder(b0, b1)) {
            // the decoder refuses it on these two bytes: it gets them now, not once a whole header has come
            state = State.PASS_ALL;
            return true;
        }
        int length7 = b1 & 0x7f;
        int lengthBytes = lengthBytes(length7);
        int headerLength = 2 + lengthBytes + 4; // masked, or refusedByTheDecoder said so
        if (available < 2 + lengthBytes) {
            return false;
        }
        long length = payloadLength(in, at, length7);
        if (length < 0 || notShortest(length7, length)) {
            // the decoder refuses a 64-bit length with its top bit set, and a length not in its shortest form,
            // as soon as it has read it: before the mask key (rendezvous 1.5.1)
            state = State.PASS_ALL;
            return true;
        }
        if (available < headerLength) {
            return false;
        }
        int opcode = b0 & 0x0f;
        if (opcode <= 2) { // continuation, text, binary
            inMessage = (b0 & FIN) == 0;
            messageBytes = opcode == OPCODE_CONTINUATION ? messageBytes + length : length;
            if (maxMessage > 0 && messageBytes > maxMessage) {
                tooBig(ctx, in, out);
            }
        }
        remaining = length;
        afterPayload = opcode == OPCODE_CLOSE ? State.PASS_ALL : State.HEADER;
        state = State.PAYLOAD;
        if (opcode <= 2 && length > maxWhole) {
            splitting = true;
            firstBits = b0 & 0x0f; // the opcode: RSV bits were refused above
            fin = (b0 & FIN) != 0;
            maskKey = in.getInt(at + 2 + lengthBytes);
            firstPiece = true;
            pieceLeft = 0;
            handOn(in, out);
            in.skipBytes(headerLength); // its fragments get headers of their own
        } else {
            frameLengths.accept(length);
            passed += headerLength;
        }
        return true;
    }

    /**
     * Whether the decoder refuses a frame on its first two bytes (RFC 6455 §5.2, §5.4, §5.5; rendezvous 1.5.1):
     * RSV bits (the relay allows no extension), no mask, a reserved opcode, a control frame that is fragmented,
     * longer than 125 or a close of 1 byte, a continuation outside a message or a new message inside one.
     */
    private boolean refusedByTheDecoder(int b0, int b1) {
        int opcode = b0 & 0x0f;
        boolean fin = (b0 & FIN) != 0;
        int length7 = b1 & 0x7f;
        if ((b0 & 0x70) != 0 || (b1 & MASK) == 0) {
            return true;
        }
        if (opcode >= OPCODE_CLOSE) {
            return opcode > 10 || !fin || length7 > 125 || opcode == OPCODE_CLOSE && length7 == 1;
        }
        return opcode > 2 || (opcode == OPCODE_CONTINUATION) != inMessage;
    }

    /** Passes on what there is of the payload; false when more bytes are needed. */
    private boolean payload(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (splitting && pieceLeft == 0 && remaining > 0) {
            pieceLeft = Math.min(PIECE, remaining);
            handOn(in, out);
            out.add(pieceHeader(ctx, remaining == pieceLeft));
            frameLengths.accept(pieceLeft);
        }
        if (remaining > 0) {
            int available = in.readableBytes() - passed;
            if (available == 0) {
                return false;
            }
            int n = (int) Math.min(available, splitting ? pieceLeft : remaining);
            passed += n;
            remaining -= n;
            if (splitting) {
                pieceLeft -= n;
            }
        }
        if (remaining == 0) {
            splitting = false;
            state = afterPayload;
        }
        return true;
    }

    /** A fragment's header: FIN on the last one if the frame had it, the frame's opcode on the first only. */
    private ByteBuf pieceHeader(ChannelHandlerContext ctx, boolean last) {
        ByteBuf header = ctx.alloc().buffer(14);
        header.writeByte((last && fin ? FIN : 0) | (firstPiece ? firstBits : OPCODE_CONTINUATION));
        if (pieceLeft < 126) {
            header.writeByte(MASK | (int) pieceLeft);
        } else if (pieceLeft <= 0xffff) {
            header.writeByte(MASK | 126).writeShort((int) pieceLeft);
        } else {
            header.writeByte(MASK | 127).writeLong(pieceLeft);
        }
        firstPiece = false;
        return header.writeInt(maskKey);
    }

    /**
     * The message passed the cap: the frames before its header go on, then the connection is closed with 1009 as
     * Netty's decoder closes it on its own limits, and fails.
     */
    private void tooBig(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        state = State.TOO_BIG;
        throw refuse(ctx, in, out, WebSocketCloseStatus.MESSAGE_TOO_BIG, "message of at least " + messageBytes
                + " bytes exceeds the allowed maximum (" + maxMessage + ')');
    }
}
