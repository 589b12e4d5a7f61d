package dev.mproxy.websocket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link FrameSplitter} in front of Netty's own server frame decoder, fed masked client frames in random pieces
 * (rendezvous 1.5, 3.1; RFC 6455 §5.4).
 */
@Timeout(30)
class FrameSplitterTest {

    private static final int MAX_WHOLE = 1024 * 1024;
    private static final int PIECE = FrameSplitter.PIECE;

    private final List<Long> decodedLengths = new ArrayList<>();
    /** Everything read from the channel, released after each test. */
    private final List<Object> read = new ArrayList<>();
    private final Random random = new Random(7);
    private EmbeddedChannel channel = channel(0);

    @AfterEach
    void release() {
        read.forEach(ReferenceCountUtil::release);
        channel.finishAndReleaseAll();
    }

    @Test
    void framesUpToTheLimitPassWholeAsTheyCame() {
        byte[] limit = bytes(MAX_WHOLE);
        feed(frame(0x81, "hi".getBytes()), frame(0x82, limit), frame(0x89, new byte[] {1, 2}));
        assertFrame(TextWebSocketFrame.class, true, "hi".getBytes(), inbound());
        assertFrame(BinaryWebSocketFrame.class, true, limit, inbound());
        assertFrame(PingWebSocketFrame.class, true, new byte[] {1, 2}, inbound());
        assertNull(inbound());
        assertEquals(List.of(2L, (long) MAX_WHOLE, 2L), decodedLengths);
    }

    @Test
    void framesThatPassUnchangedAreHandedOnAsOneSliceOfWhatWasRead() {
        // the decoder reads them as it would without the splitter: no copy, no frame-by-frame hand-over
        EmbeddedChannel alone = new EmbeddedChannel(new FrameSplitter(MAX_WHOLE, 0, decodedLengths::add));
        ByteBuf read = Unpooled.wrappedBuffer(frame(0x81, "one".getBytes()), frame(0x82, bytes(70_000)),
                frame(0x89, new byte[0]), new byte[] {(byte) 0x82}); // and the first byte of the next header
        int length = read.readableBytes();
        alone.writeInbound(read);
        ByteBuf handedOn = alone.readInbound();
        assertEquals(length - 1, handedOn.readableBytes());
        assertNull(alone.readInbound(), "the partial header waits for the rest");
        handedOn.release();
        assertFalse(alone.finishAndReleaseAll());
    }

    @Test
    void aLongerFrameBecomesAFragmentedMessageOfTheSameBytes() {
        byte[] message = bytes(3 * PIECE + MAX_WHOLE + 5);
        feed(frame(0x82, message), frame(0x89, new byte[] {9}));
        List<WebSocketFrame> frames = readAll();
        assertEquals(4 + MAX_WHOLE / PIECE, frames.size() - 1);
        assertEquals(BinaryWebSocketFrame.class, frames.get(0).getClass());
        ByteArrayOutputStream together = new ByteArrayOutputStream();
        for (int i = 0; i < frames.size() - 1; i++) {
            WebSocketFrame f = frames.get(i);
            if (i > 0) {
                assertEquals(ContinuationWebSocketFrame.class, f.getClass(), "fragment " + i);
            }
            assertEquals(i == frames.size() - 2, f.isFinalFragment(), "fin of fragment " + i);
            assertEquals(i == frames.size() - 2 ? 5 : PIECE, f.content().readableBytes(), "length of fragment " + i);
            together.writeBytes(ByteBufUtil.getBytes(f.content()));
        }
        assertArrayEquals(message, together.toByteArray(), "unmasked with the frame's key, fragment by fragment");
        assertFrame(PingWebSocketFrame.class, true, new byte[] {9}, frames.get(frames.size() - 1));
        assertEquals((long) PIECE, decodedLengths.stream().mapToLong(Long::longValue).max().orElseThrow());
    }

    @Test
    void aFragmentedMessageKeepsItsKindAndItsEndWhenOneOfItsFramesIsCut() {
        byte[] tail = bytes(MAX_WHOLE + 1);
        feed(frame(0x01, "a".getBytes()), frame(0x00, tail), frame(0x80, "z".getBytes()));
        List<WebSocketFrame> frames = readAll();
        assertFrame(TextWebSocketFrame.class, false, "a".getBytes(), frames.get(0));
        for (int i = 1; i < frames.size() - 1; i++) {
            assertEquals(ContinuationWebSocketFrame.class, frames.get(i).getClass());
            assertFalse(frames.get(i).isFinalFragment(), "the message goes on after the cut frame");
        }
        assertEquals(1, frames.get(frames.size() - 2).content().readableBytes());
        assertFrame(ContinuationWebSocketFrame.class, true, "z".getBytes(), frames.get(frames.size() - 1));
    }

    /**
     * Rendezvous 1.5.1: a frame the decoder refuses on its first two bytes is refused as soon as they come. Found by
     * FrameSplitterFuzzTest (seeds finding-refused-header-held, finding-new-message-inside-fragmented-held,
     * finding-negative-length-held): the
     * splitter waited for a whole header of up to 14 bytes first, so a peer that sent a few bytes of garbage and
     * stopped was not closed.
     */
    @Test
    void headersRefusedOnTheirFirstBytesReachTheDecoderAtOnce() {
        // RSV bits with a 64-bit length, RSV1, a reserved opcode, not masked: the decoder needs two bytes to say so
        // and a continuation outside a message, a fragmented ping, a ping of 126 bytes
        for (byte[] start : new byte[][] {{(byte) 0xff, (byte) 0xff}, {(byte) 0xc2, (byte) 0xfe}, {(byte) 0x83, (byte) 0xff},
            {(byte) 0x82, 0x7f}, {(byte) 0x80, (byte) 0xff}, {0x09, (byte) 0x80}, {(byte) 0x89, (byte) 0xfe},
            // and lengths refused before the mask key: negative, or not in their shortest form
            {0x01, (byte) 0xff, (byte) 0xff, -1, -1, -1, -1, -1, -1, 6}, {(byte) 0x82, (byte) 0xfe, 0, 125},
            {(byte) 0x82, (byte) 0xff, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff}}) {
            channel.finishAndReleaseAll();
            channel = channel(0);
            CorruptedWebSocketFrameException e = assertThrows(CorruptedWebSocketFrameException.class,
                    () -> channel.writeInbound(Unpooled.wrappedBuffer(start)));
            assertEquals(1002, e.closeStatus().code(), e.getMessage());
            read.add(channel.readOutbound()); // the close frame
            assertFalse(channel.isOpen());
        }
    }

    /** Rendezvous 1.5.1: a new message inside a fragmented one is refused on its first two bytes. */
    @Test
    void aNewMessageInsideAFragmentedOneIsRefusedAtOnce() {
        feed(frame(0x02, "ab".getBytes()));
        inbound();
        CorruptedWebSocketFrameException e = assertThrows(CorruptedWebSocketFrameException.class,
                () -> channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {(byte) 0x81, (byte) 0xfd})));
        assertEquals(1002, e.closeStatus().code(), e.getMessage());
        read.add(channel.readOutbound());
    }

    @Test
    void aMessageOverTheCapClosesWith1009AndFails() {
        channel.finishAndReleaseAll();
        channel = channel(1000);
        ByteBuf frames = Unpooled.wrappedBuffer(frame(0x02, bytes(600)), frame(0x80, bytes(600)));
        CorruptedWebSocketFrameException e = assertThrows(CorruptedWebSocketFrameException.class,
                () -> channel.writeInbound(frames));
        assertEquals("message of at least 1200 bytes exceeds the allowed maximum (1000)", e.getMessage());
        assertFrame(BinaryWebSocketFrame.class, false, null, inbound());
        ByteBuf close = channel.readOutbound();
        read.add(close);
        CloseWebSocketFrame expected = new CloseWebSocketFrame(1009, e.getMessage());
        assertEquals(0x88, close.getUnsignedByte(0));
        assertEquals(expected.content().readableBytes(), close.getUnsignedByte(1));
        assertEquals(1009, close.getUnsignedShort(2));
        expected.release();
        assertFalse(channel.isOpen());
    }

    @Test
    void nothingAfterACloseFrameIsLookedAt() {
        // Netty's decoder drops what follows a close frame; the splitter must not cut it, nor count it
        byte[] close = frame(0x88, new byte[] {3, (byte) 0xe8});
        byte[] after = frame(0x82, bytes(MAX_WHOLE + 1));
        feed(close, after);
        CloseWebSocketFrame frame = inbound();
        assertEquals(1000, frame.statusCode());
        assertNull(inbound());
        assertEquals(List.of(2L), decodedLengths);
    }

    // ---- helpers ----------------------------------------------------------------------------------------

    private EmbeddedChannel channel(long maxMessage) {
        return new EmbeddedChannel(new FrameSplitter(MAX_WHOLE, maxMessage, decodedLengths::add),
                new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder().maxFramePayloadLength(MAX_WHOLE)
                        .expectMaskedFrames(true).allowExtensions(false).build()),
                new WebSocket13FrameEncoder(false));
    }

    /** The frames' bytes, in pieces of random lengths, as TCP might deliver them. */
    private void feed(byte[]... frames) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] f : frames) {
            all.writeBytes(f);
        }
        byte[] bytes = all.toByteArray();
        for (int at = 0; at < bytes.length; ) {
            int n = Math.min(bytes.length - at, 1 + random.nextInt(random.nextBoolean() ? 7 : 100_000));
            channel.writeInbound(Unpooled.wrappedBuffer(bytes, at, n));
            at += n;
        }
    }

    private List<WebSocketFrame> readAll() {
        List<WebSocketFrame> frames = new ArrayList<>();
        WebSocketFrame f;
        while ((f = inbound()) != null) {
            frames.add(f);
        }
        return frames;
    }

    private <T> T inbound() {
        T message = channel.readInbound();
        if (message != null) {
            read.add(message);
        }
        return message;
    }

    /** A client's frame: first byte as given (FIN, RSV, opcode), masked with a random key (RFC 6455 §5.2). */
    private byte[] frame(int b0, byte[] payload) {
        ByteBuf f = Unpooled.buffer();
        f.writeByte(b0);
        if (payload.length < 126) {
            f.writeByte(0x80 | payload.length);
        } else if (payload.length <= 0xffff) {
            f.writeByte(0x80 | 126).writeShort(payload.length);
        } else {
            f.writeByte(0x80 | 127).writeLong(payload.length);
        }
        byte[] key = new byte[4];
        random.nextBytes(key);
        f.writeBytes(key);
        for (int i = 0; i < payload.length; i++) {
            f.writeByte(payload[i] ^ key[i % 4]);
        }
        byte[] bytes = ByteBufUtil.getBytes(f);
        f.release();
        return bytes;
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    /** Asserts a frame; {@link #release()} releases what was read. */
    private static void assertFrame(Class<?> kind, boolean fin, byte[] payload, WebSocketFrame frame) {
        assertEquals(kind, frame.getClass());
        assertEquals(fin, frame.isFinalFragment());
        if (payload != null) {
            assertArrayEquals(payload, ByteBufUtil.getBytes(frame.content()));
        }
    }
}
