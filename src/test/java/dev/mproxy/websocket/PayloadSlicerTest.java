package dev.mproxy.websocket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mproxy.testing.TrackingAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link PayloadSlicer} in front of Netty's frame decoder against that decoder alone, on random frame streams cut
 * at random points, from a client (masked, random keys and key 0; control 1.2) and from a server (unmasked): the
 * same messages and control frames (RFC 6455 §5.4 lets the slicer change fragmentation, never the bytes), and a
 * stream the decoder refuses refused with the same status and words, and the same close frame sent
 * (control 1.2.1).
 */
@Timeout(60)
class PayloadSlicerTest {

    /** Small enough that random frames pass it, as a tunnel's 1 MiB limit would be passed. */
    private static final int MAX_FRAME = 70_000;
    private static final int[] LENGTHS = {0, 1, 3, 125, 126, 127, 1000, 65_535, 65_536, MAX_FRAME, MAX_FRAME + 1};

    @ParameterizedTest(name = "peer masks: {0}")
    @ValueSource(booleans = {true, false})
    void sameMessagesAndRefusalsAsTheDecoderAlone(boolean peerMasks) {
        Random random = new Random(peerMasks ? 11 : 12);
        int refused = 0;
        int referencePieces = 0;
        int slicerPieces = 0;
        for (int run = 0; run < 400; run++) {
            byte[] stream = stream(random, peerMasks, run % 3 == 0);
            int[] cuts = cuts(random, stream.length);
            // now and then the connection ends inside a frame: what is held must be released all the same
            int end = run % 7 == 0 && stream.length > 1 ? 1 + random.nextInt(stream.length - 1) : stream.length;
            Outcome reference = decode(stream, cuts, end, peerMasks, false);
            Outcome slicer = decode(stream, cuts, end, peerMasks, true);
            assertEquals(reference, slicer, "run " + run + ", stream " + Base64.getEncoder().encodeToString(stream)
                    + ", end " + end);
            refused += reference.refusal.isEmpty() ? 0 : 1;
            referencePieces += reference.pieces;
            slicerPieces += slicer.pieces;
        }
        // the streams reach both ends: some refused, and frames handed on in more pieces than they came in
        assertTrue(refused > 50 && refused < 350, "refused streams: " + refused);
        assertTrue(slicerPieces > referencePieces, "pieces: " + slicerPieces + " against " + referencePieces);
    }

    @Test
    void aFrameCutByReadsGoesOnInPiecesOfTheReadsThemselves() {
        byte[] payload = new byte[3000];
        new Random(3).nextBytes(payload);
        byte[] frame = frame(0x82, payload, true, 0); // key 0: the slices are the input's own bytes
        TrackingAllocator alloc = new TrackingAllocator();
        EmbeddedChannel channel = channel(alloc, true, true);
        ByteBuf first = alloc.buffer().writeBytes(frame, 0, 1000);
        channel.writeInbound(first);
        BinaryWebSocketFrame head = channel.readInbound();
        channel.writeInbound(alloc.buffer().writeBytes(frame, 1000, frame.length - 1000));
        ContinuationWebSocketFrame tail = channel.readInbound();
        try {
            assertFalse(head.isFinalFragment());
            assertTrue(tail.isFinalFragment());
            assertEquals(1000 - 8, head.content().readableBytes());
            assertSame(first, head.content().unwrap(), "a slice of the read, not a copy");
            ByteArrayOutputStream joined = new ByteArrayOutputStream();
            joined.writeBytes(ByteBufUtil.getBytes(head.content()));
            joined.writeBytes(ByteBufUtil.getBytes(tail.content()));
            assertEquals(Base64.getEncoder().encodeToString(payload),
                    Base64.getEncoder().encodeToString(joined.toByteArray()));
        } finally {
            head.release();
            tail.release();
            channel.finishAndReleaseAll();
        }
        alloc.assertAllReleased("two reads of one frame");
    }

    @Test
    void aNewMessageInsideAFragmentedOneIsRefusedWithTheDecodersWordsAfterWhatCameBefore() {
        TrackingAllocator alloc = new TrackingAllocator();
        EmbeddedChannel channel = channel(alloc, true, true);
        // what the tunnel sees, in order: the frames read, and the close written (its answers to those frames,
        // pongs and replies, must go out before the close, as with Netty's decoder alone)
        List<String> seen = new ArrayList<>();
        channel.pipeline().addFirst(new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                seen.add(msg.getClass().getSimpleName());
                ctx.write(msg, promise);
            }
        });
        channel.pipeline().addLast(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                seen.add(msg.getClass().getSimpleName());
                ctx.fireChannelRead(msg);
            }
        });
        ByteBuf bytes = alloc.buffer().writeBytes(frame(0x02, new byte[] {1}, true, 7))
                .writeBytes(frame(0x82, new byte[] {2}, true, 7));
        CorruptedWebSocketFrameException refused = assertThrows(
                CorruptedWebSocketFrameException.class, () -> channel.writeInbound(bytes));
        assertEquals("received non-continuation data frame while inside fragmented message", refused.getMessage());
        assertEquals(List.of("BinaryWebSocketFrame", "CloseWebSocketFrame"), seen);
        WebSocketFrame first = channel.readInbound();
        first.release();
        CloseWebSocketFrame close = assertInstanceOf(CloseWebSocketFrame.class, channel.readOutbound());
        try {
            assertEquals(1002, close.statusCode());
        } finally {
            close.release();
            channel.finishAndReleaseAll();
        }
        alloc.assertAllReleased("a refused stream");
    }

    @Test
    void joinsTheDecoderOnlyAtAFrameBoundary() {
        TrackingAllocator alloc = new TrackingAllocator();
        EmbeddedChannel fresh = channel(alloc, false, false);
        PayloadSlicer.addInFront(fresh.pipeline(), false, MAX_FRAME);
        assertNotNull(fresh.pipeline().get(PayloadSlicer.class), "a decoder that holds nothing");
        fresh.finishAndReleaseAll();

        // a peer's first frame, read in part before the slicer could be added: after 1 byte, after its header
        // (both consumed by the decoder, which then holds nothing), after 3 bytes of its payload
        byte[] first = frame(0x82, new byte[] {1, 2, 3, 4, 5}, false, 0);
        for (int prefix : new int[] {1, 2, 5}) {
            EmbeddedChannel holding = channel(alloc, false, false);
            holding.writeInbound(alloc.buffer().writeBytes(first, 0, prefix));
            PayloadSlicer.addInFront(holding.pipeline(), false, MAX_FRAME);
            assertNull(holding.pipeline().get(PayloadSlicer.class), "the decoder is inside a frame: " + prefix);
            holding.writeInbound(alloc.buffer().writeBytes(first, prefix, first.length - prefix));
            BinaryWebSocketFrame whole = holding.readInbound();
            try {
                assertArrayEquals(new byte[] {1, 2, 3, 4, 5}, ByteBufUtil.getBytes(whole.content()));
            } finally {
                whole.release();
                holding.finishAndReleaseAll();
            }
        }

        // inside a fragmented message, or after a close: not between frames of a stream the slicer can follow
        for (byte[] before : List.of(frame(0x02, new byte[] {1}, false, 0), frame(0x88, new byte[0], false, 0))) {
            EmbeddedChannel after = channel(alloc, false, false);
            after.writeInbound(alloc.buffer().writeBytes(before));
            PayloadSlicer.addInFront(after.pipeline(), false, MAX_FRAME);
            assertNull(after.pipeline().get(PayloadSlicer.class), "after " + Arrays.toString(before));
            after.finishAndReleaseAll();
        }
        alloc.assertAllReleased("decoders joined or not");
    }

    /** What came out of a decoder: messages and control frames as text, then the refusal and the close sent. */
    private record Outcome(List<String> frames, String refusal, String closeSent, int pieces) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Outcome other && frames.equals(other.frames) && refusal.equals(other.refusal)
                    && closeSent.equals(other.closeSent);
        }

        @Override
        public int hashCode() {
            return frames.hashCode();
        }
    }

    private static EmbeddedChannel channel(TrackingAllocator alloc, boolean peerMasks, boolean slicer) {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.config().setAllocator(alloc);
        List<ChannelHandler> handlers = new ArrayList<>();
        if (slicer) {
            handlers.add(new PayloadSlicer(peerMasks, MAX_FRAME));
        }
        handlers.add(new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder().maxFramePayloadLength(MAX_FRAME)
                .expectMaskedFrames(peerMasks).allowExtensions(false).build()));
        channel.pipeline().addLast(handlers.toArray(new ChannelHandler[0]));
        return channel;
    }

    /**
     * Feeds {@code stream} up to {@code end} in direct buffers cut at {@code cuts} while the channel is open (a
     * refusal closes it), then closes the channel.
     */
    private static Outcome decode(byte[] stream, int[] cuts, int end, boolean peerMasks, boolean slicer) {
        TrackingAllocator alloc = new TrackingAllocator();
        EmbeddedChannel channel = channel(alloc, peerMasks, slicer);
        List<String> frames = new ArrayList<>();
        ByteArrayOutputStream message = new ByteArrayOutputStream();
        String refusal = "";
        int pieces = 0;
        int from = 0;
        for (int c = 0; c <= cuts.length && from < end && channel.isOpen(); c++) {
            int to = Math.min(end, c < cuts.length ? cuts[c] : stream.length);
            if (to <= from) {
                continue;
            }
            try {
                channel.writeInbound(alloc.directBuffer(to - from).writeBytes(stream, from, to - from));
            } catch (CorruptedWebSocketFrameException e) {
                refusal += e.closeStatus().code() + " " + e.getMessage();
            }
            from = to;
            Object frame;
            while ((frame = channel.readInbound()) != null) {
                try {
                    pieces += collect((WebSocketFrame) frame, message, frames) ? 1 : 0;
                } finally {
                    ReferenceCountUtil.release(frame);
                }
            }
        }
        StringBuilder closeSent = new StringBuilder();
        Object written;
        while ((written = channel.readOutbound()) != null) {
            if (written instanceof CloseWebSocketFrame close) {
                closeSent.append(close.statusCode()).append(' ').append(close.reasonText());
            }
            ReferenceCountUtil.release(written);
        }
        channel.finishAndReleaseAll();
        alloc.assertAllReleased("decoding " + stream.length + " bytes");
        return new Outcome(frames, refusal, closeSent.toString(), pieces);
    }

    /**
     * Adds a whole message, named by the kind of its first frame, or a control frame to {@code frames}; true for a
     * data frame without FIN.
     */
    private static boolean collect(WebSocketFrame frame, ByteArrayOutputStream message, List<String> frames) {
        String kind = frame.getClass().getSimpleName().replace("WebSocketFrame", "");
        byte[] content = ByteBufUtil.getBytes(frame.content());
        if (kind.equals("Text") || kind.equals("Binary") || kind.equals("Continuation")) {
            if (message.size() == 0 && !kind.equals("Continuation")) {
                message.writeBytes((kind + ' ').getBytes());
            }
            message.writeBytes(content);
            if (frame.isFinalFragment()) {
                frames.add("message " + Base64.getEncoder().encodeToString(message.toByteArray()));
                message.reset();
                return false;
            }
            return true;
        }
        frames.add(kind + ' ' + Base64.getEncoder().encodeToString(content));
        return false;
    }

    /** Up to 8 frames, mostly a binary message's, now and then one the decoder refuses; with {@code broken} more. */
    private static byte[] stream(Random random, boolean peerMasks, boolean broken) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean inMessage = false;
        for (int f = random.nextInt(8) + 1; f > 0; f--) {
            int pick = random.nextInt(broken ? 14 : 10);
            boolean fin = random.nextInt(3) > 0;
            int b0;
            byte[] payload;
            if (pick < 6) { // a binary message's next frame, in order
                b0 = (fin ? 0x80 : 0) | (inMessage ? 0 : 2);
                payload = bytes(random, LENGTHS[random.nextInt(LENGTHS.length - 1)]);
                inMessage = !fin;
            } else if (pick < 8) { // ping or pong
                b0 = 0x80 | (9 + random.nextInt(2));
                payload = bytes(random, random.nextInt(126));
            } else if (pick == 8) { // close, then nothing more is read
                b0 = 0x88;
                payload = new byte[] {3, (byte) 0xe8, 'o', 'k'};
            } else if (pick == 9) { // text: the decoder's, with what follows
                b0 = 0x81;
                payload = "text".getBytes();
            } else if (pick == 10) { // any opcode, in or out of order, any length
                b0 = (fin ? 0x80 : 0) | random.nextInt(16);
                payload = bytes(random, LENGTHS[random.nextInt(LENGTHS.length)]);
            } else if (pick == 11) { // reserved bits
                b0 = 0x80 | 0x10 << random.nextInt(3) | 2;
                payload = bytes(random, 3);
            } else if (pick == 12) { // the other side's masking
                out.writeBytes(frame(0x82, bytes(random, 5), !peerMasks, random.nextInt()));
                continue;
            } else { // a length not in its shortest form, 16 or 64 bits, or a negative one
                int form = random.nextInt(3);
                out.writeBytes(new byte[] {(byte) (inMessage ? 0x80 : 0x82),
                    (byte) ((peerMasks ? 0x80 : 0) | (form == 0 ? 126 : 127))});
                out.writeBytes(form == 0 ? new byte[] {0, 5} : new byte[] {(byte) (form == 1 ? 0 : 0x80), 0, 0, 0, 0, 0, 0, 5});
                if (peerMasks) {
                    out.writeBytes(new byte[] {1, 2, 3, 4});
                }
                out.writeBytes(bytes(random, 5));
                continue;
            }
            int key = random.nextInt(3) == 0 ? 0 : random.nextInt();
            out.writeBytes(frame(b0, payload, peerMasks, key));
        }
        return out.toByteArray();
    }

    private static byte[] bytes(Random random, int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    /** Read boundaries: anywhere, 1-byte reads near the start of the stream and after. */
    private static int[] cuts(Random random, int length) {
        List<Integer> cuts = new ArrayList<>();
        int at = 0;
        while (cuts.size() < 40) {
            at += random.nextInt(4) == 0 ? 1 : random.nextInt(Math.max(1, length / 6)) + 1;
            if (at >= length) {
                break;
            }
            cuts.add(at);
        }
        return cuts.stream().mapToInt(Integer::intValue).toArray();
    }

    /** A frame with the first byte {@code b0}, in its shortest length form, masked with {@code key} if asked. */
    private static byte[] frame(int b0, byte[] payload, boolean masked, int key) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(b0);
        int maskBit = masked ? 0x80 : 0;
        int length = payload.length;
        if (length < 126) {
            out.write(maskBit | length);
        } else if (length <= 0xffff) {
            out.write(maskBit | 126);
            out.write(length >>> 8);
            out.write(length);
        } else {
            out.write(maskBit | 127);
            for (int s = 56; s >= 0; s -= 8) {
                out.write((int) ((long) length >>> s));
            }
        }
        byte[] keyBytes = {(byte) (key >>> 24), (byte) (key >>> 16), (byte) (key >>> 8), (byte) key};
        if (masked) {
            out.writeBytes(keyBytes);
        }
        for (int i = 0; i < length; i++) {
            out.write(masked ? payload[i] ^ keyBytes[i & 3] : payload[i]);
        }
        return out.toByteArray();
    }
}
