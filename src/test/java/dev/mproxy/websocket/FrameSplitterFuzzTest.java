package dev.mproxy.websocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mproxy.testing.TrackingAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Fuzzes the WebSocket frame path of the rendezvous relay (rendezvous 1.5): {@link FrameSplitter} in front of
 * Netty's server frame decoder, against that decoder alone as the reference. The input is a list of frames
 * (header bits, mask, a length that may pass {@link FrameSplitter#PIECE}, a payload pattern) and raw bytes, cut
 * at fuzzed points. For every input:
 * <ul>
 *   <li>the messages (frames joined up to FIN) and control frames are the same with and without the splitter;
 *       RFC 6455 §5.4 lets it change fragmentation, never the bytes;</li>
 *   <li>a stream the reference refuses is refused with the same close status (1009 aside: the reference holds
 *       whole frames, the splitter exists not to);</li>
 *   <li>with a message cap, the only failure is {@link CorruptedWebSocketFrameException}; every buffer is
 *       released.</li>
 * </ul>
 */
class FrameSplitterFuzzTest {

    private static final int PIECE = FrameSplitter.PIECE;
    /** The reference holds whole frames: large enough for any frame this target builds. */
    private static final int REFERENCE_MAX = 16 * PIECE;
    private static final int[] LENGTHS = {0, 1, 125, 126, 65_535, PIECE - 1, PIECE, PIECE + 1, 2 * PIECE + 3,
        3 * PIECE};

    @FuzzTest(maxDuration = "2m")
    void split(byte[] input) {
        Built built = build(input);
        Outcome reference = run(built, null, 0);
        Outcome split = run(built, PIECE, 0);
        assertEquals(reference.messages, split.messages, "messages with and without the splitter (RFC 6455 §5.4)");
        if (reference.status != split.status && reference.status != WebSocketCloseStatus.MESSAGE_TOO_BIG.code()) {
            throw new AssertionError("close status " + split.status + " with the splitter, " + reference.status
                    + " without");
        }
        run(built, PIECE, 100_000); // the cap: only its own failure, no leak
    }

    private record Built(byte[] stream, int[] cuts) {
    }

    /**
     * Each element: a kind byte; kind % 4 == 0 copies the next byte's count of raw bytes; otherwise a frame: the
     * kind's top 4 bits are FIN and RSV, the next byte's low 4 bits the opcode, its bit 4 the mask, its high bits
     * pick a length from {@link #LENGTHS} or the byte after, and 4 bytes of mask key. Payloads repeat 0..250.
     * The cuts come from the bytes left over.
     */
    private static Built build(byte[] in) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        int frames = 0;
        while (i + 1 < in.length && frames < 12 && out.size() < 8 * PIECE) {
            int kind = in[i++] & 0xff;
            if (kind % 4 == 0) {
                int n = Math.min(in[i++] & 0xff, in.length - i);
                out.write(in, i, n);
                i += n;
                continue;
            }
            int spec = in[i++] & 0xff;
            boolean masked = (spec & 0x10) != 0;
            int pick = spec >>> 5;
            int length = pick < LENGTHS.length - 2 ? LENGTHS[pick + 2]
                    : i < in.length ? in[i++] & 0x7f : 0;
            if ((kind & 0x08) != 0) {
                length = LENGTHS[(kind >>> 1) % LENGTHS.length];
            }
            out.write((kind & 0xf0) | (spec & 0x0f));
            if (length < 126) {
                out.write((masked ? 0x80 : 0) | length);
            } else if (length <= 0xffff) {
                out.write((masked ? 0x80 : 0) | 126);
                out.write(length >>> 8);
                out.write(length);
            } else {
                out.write((masked ? 0x80 : 0) | 127);
                for (int s = 56; s >= 0; s -= 8) {
                    out.write((int) ((long) length >>> s));
                }
            }
            if (masked) {
                for (int k = 0; k < 4; k++) {
                    out.write(i < in.length ? in[i++] : k);
                }
            }
            for (int p = 0; p < length; p++) {
                out.write(p % 251);
            }
            frames++;
        }
        byte[] stream = out.toByteArray();
        List<Integer> cuts = new ArrayList<>();
        int at = 0;
        while (i + 1 < in.length && cuts.size() < 16) {
            at += ((in[i++] & 0xff) << 8 | (in[i++] & 0xff)) * 7 + 1;
            if (at >= stream.length) {
                break;
            }
            cuts.add(at);
        }
        return new Built(stream, cuts.stream().mapToInt(Integer::intValue).toArray());
    }

    /** What a decoder made of the stream: messages and control frames as text, and the close status, if any. */
    private record Outcome(List<String> messages, int status) {
    }

    private static Outcome run(Built built, Integer splitAt, long maxMessage) {
        TrackingAllocator alloc = new TrackingAllocator();
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.config().setAllocator(alloc);
        List<ChannelHandler> handlers = new ArrayList<>();
        if (splitAt != null) {
            handlers.add(new FrameSplitter(splitAt, maxMessage, length -> { }));
        }
        handlers.add(new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder()
                .maxFramePayloadLength(splitAt != null ? splitAt : REFERENCE_MAX)
                .expectMaskedFrames(true).allowExtensions(false).build()));
        channel.pipeline().addLast(handlers.toArray(new ChannelHandler[0]));
        List<String> messages = new ArrayList<>();
        ByteArrayOutputStream message = new ByteArrayOutputStream();
        int status = 0;
        byte[] stream = built.stream;
        int from = 0;
        for (int c = 0; c <= built.cuts.length && status == 0; c++) {
            int to = c < built.cuts.length ? built.cuts[c] : stream.length;
            if (to <= from) {
                continue;
            }
            try {
                channel.writeInbound(alloc.buffer(to - from).writeBytes(stream, from, to - from));
            } catch (CorruptedWebSocketFrameException e) {
                status = e.closeStatus() == null ? -1 : e.closeStatus().code();
                assertTrue(maxMessage > 0 || status != WebSocketCloseStatus.MESSAGE_TOO_BIG.code() || splitAt == null,
                        "1009 with no message cap: " + e.getMessage());
            }
            from = to;
            Object frame;
            while ((frame = channel.readInbound()) != null) {
                try {
                    collect((WebSocketFrame) frame, message, messages);
                } finally {
                    ReferenceCountUtil.release(frame);
                }
            }
        }
        Object written;
        while ((written = channel.readOutbound()) != null) {
            ReferenceCountUtil.release(written);
        }
        channel.finishAndReleaseAll();
        alloc.assertAllReleased("decoding " + stream.length + " bytes");
        return new Outcome(messages, status);
    }

    private static void collect(WebSocketFrame frame, ByteArrayOutputStream message, List<String> messages) {
        ByteBuf content = frame.content();
        String kind = frame.getClass().getSimpleName().replace("WebSocketFrame", "");
        if (kind.equals("Text") || kind.equals("Binary") || kind.equals("Continuation")) {
            message.writeBytes(ByteBufUtil.getBytes(content));
            if (frame.isFinalFragment()) {
                messages.add("message " + Base64.getEncoder().encodeToString(message.toByteArray()));
                message.reset();
            }
        } else {
            messages.add(kind + ' ' + Base64.getEncoder().encodeToString(ByteBufUtil.getBytes(content)));
        }
    }
}
