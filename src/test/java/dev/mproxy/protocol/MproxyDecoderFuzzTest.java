package dev.mproxy.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mproxy.protocol.Frames.Decoded;
import dev.mproxy.testing.TrackingAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Fuzzes the M-PROXY v1 decoder with arbitrary byte streams (protocol-spec/m-proxy-v1.md §2-3). Seeds: the
 * golden vectors of testdata/messages, invalid and truncated. For every input:
 * <ul>
 *   <li>the only failure is one {@link MproxyProtocolException} naming a rule, after which nothing decodes;</li>
 *   <li>the stream decodes alike whole, byte by byte and in three pieces (rule 2.8);</li>
 *   <li>no body is longer than the decoder's limit (rule 2.4), and every decoded message encodes back to a
 *       stream that decodes to the same message;</li>
 *   <li>every buffer the decoder allocated, and the input, are released.</li>
 * </ul>
 */
class MproxyDecoderFuzzTest {

    /** Small, so inputs of a few KiB reach the body limit. */
    private static final int MAX_BODY = 1024;
    /** Byte by byte costs a write per byte: longer inputs are checked whole and in three pieces only. */
    private static final int BYTE_BY_BYTE_LIMIT = 4096;

    @FuzzTest(maxDuration = "2m")
    void decode(byte[] stream) {
        Outcome whole = decode(stream, new int[0]);
        if (stream.length <= BYTE_BY_BYTE_LIMIT) {
            assertEquals(whole, decode(stream, everyByte(stream.length)), "byte by byte (rule 2.8)");
        }
        int a = stream.length == 0 ? 0 : (stream[0] & 0xff) % (stream.length + 1);
        int b = Math.max(a, stream.length - (stream.length == 0 ? 0 : (stream[stream.length - 1] & 0xff)));
        assertEquals(whole, decode(stream, new int[] {a, b}), "in pieces ending at " + a + ", " + b);
    }

    private static int[] everyByte(int length) {
        int[] bytes = new int[Math.max(0, length - 1)];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = i + 1;
        }
        return bytes;
    }

    /** Messages as values, then the error that stopped the stream: the same for every split. */
    private record Outcome(List<Decoded> messages, String error) {
    }

    private static Outcome decode(byte[] stream, int[] cuts) {
        TrackingAllocator alloc = new TrackingAllocator();
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.config().setAllocator(alloc);
        channel.pipeline().addLast(new MproxyMessageDecoder(MAX_BODY));
        List<Decoded> messages = new ArrayList<>();
        String error = null;
        int from = 0;
        for (int i = 0; i <= cuts.length; i++) {
            int to = i < cuts.length ? cuts[i] : stream.length;
            String earlier = error; // messages of this piece read after its error came before the error
            try {
                if (to > from) {
                    ByteBuf piece = alloc.buffer(to - from).writeBytes(stream, from, to - from);
                    channel.writeInbound(piece);
                }
                if (i == cuts.length) {
                    channel.finish();
                }
            } catch (MproxyProtocolException e) {
                assertTrue(error == null, "a second error after " + error + ": " + e.getMessage());
                assertTrue(e.getMessage().contains("[M-PROXY rule "), () -> "error names no rule: " + e.getMessage());
                error = e.getMessage();
            }
            MproxyMessage m;
            while ((m = channel.readInbound()) != null) {
                try {
                    assertTrue(earlier == null, "a message after the error " + earlier);
                    assertTrue(m.content().readableBytes() <= MAX_BODY, "body over the limit (rule 2.4)");
                    Decoded decoded = Decoded.of(m);
                    messages.add(decoded);
                    assertEquals(decoded, reencoded(m), "decoded, encoded and decoded again");
                } finally {
                    m.release();
                }
            }
            from = Math.max(from, to);
        }
        channel.finishAndReleaseAll();
        alloc.assertAllReleased("decoding " + stream.length + " bytes");
        return new Outcome(messages, error);
    }

    private static Decoded reencoded(MproxyMessage m) {
        ByteBuf encoded = MproxyMessageEncoder.INSTANCE.encode(io.netty.buffer.UnpooledByteBufAllocator.DEFAULT,
                m);
        try {
            Frames.Result again = Frames.decode(io.netty.buffer.ByteBufUtil.getBytes(encoded));
            assertTrue(again.error() == null, () -> "re-encoded message does not decode: " + again.error());
            assertEquals(1, again.messages().size());
            return Objects.requireNonNull(again.messages().get(0));
        } finally {
            encoded.release();
        }
    }
}
