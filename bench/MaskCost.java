import io.netty.buffer.AdaptiveByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.util.ReferenceCountUtil;
import java.lang.reflect.Method;

/**
 * What masking costs per frame, on one thread, with no network (issue 16): RFC 6455 makes the connector mask
 * every frame it sends and the gateway unmask it. Three loops over 64 KiB frames in direct buffers from the
 * allocator Netty uses by default:
 * <ul>
 *   <li>the connector's {@code MaskedFrames.binary} (allocate the frame, mask the payload into it);</li>
 *   <li>Netty's client encoder doing the same ({@code WebSocket13FrameEncoder(true)}), what mproxy replaced;</li>
 *   <li>Netty's server decoder taking the mask off (copy of the frame included, as a read would bring it);</li>
 *   <li>inside TLS the connector masks with the key 0 (control 1.2): its header alone, the payload uncopied, and
 *       the server decoder on such a frame, which skips unmasking.</li>
 * </ul>
 * Run: {@code java -Dio.netty.leakDetection.level=disabled -cp target/mproxy.jar bench/MaskCost.java [bytes]}
 * (default 65536; the leak detector's sampled stack traces would blur the figures). Prints microseconds
 * per frame for 5 rounds of 20,000 frames each; read the last rounds (the JIT is done by then).
 */
public final class MaskCost {

    private static final int FRAMES = 20_000;
    private static final int ROUNDS = 5;

    public static void main(String[] args) throws Exception {
        int size = args.length > 0 ? Integer.parseInt(args[0]) : 65536;
        ByteBufAllocator alloc = new AdaptiveByteBufAllocator();
        ByteBuf payload = alloc.directBuffer(size).writeZero(size);
        Method masked = Class.forName("dev.mproxy.websocket.MaskedFrames")
                .getDeclaredMethod("binary", ByteBufAllocator.class, ByteBuf.class, int.class);
        masked.setAccessible(true);
        Method zeroKeyHeader = Class.forName("dev.mproxy.websocket.MaskedFrames")
                .getDeclaredMethod("zeroKeyHeader", ByteBufAllocator.class, int.class);
        zeroKeyHeader.setAccessible(true);
        EmbeddedChannel encoder = new EmbeddedChannel(new WebSocket13FrameEncoder(true));
        encoder.config().setAllocator(alloc);
        EmbeddedChannel decoder = new EmbeddedChannel(new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder()
                .maxFramePayloadLength(Math.max(size, 1 << 20)).expectMaskedFrames(true).build()));
        ByteBuf frame = (ByteBuf) masked.invoke(null, alloc, payload, 0x1234_5678);
        ByteBuf zeroKeyFrame = (ByteBuf) masked.invoke(null, alloc, payload, 0);
        System.out.printf("# %d-byte frames, %d per round; microseconds per frame%n", size, FRAMES);
        System.out.println("round  MaskedFrames.binary  Netty's client encoder  Netty's server decoder"
                + "  key 0: header  key 0: server decoder");
        for (int round = 1; round <= ROUNDS; round++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < FRAMES; i++) {
                ((ByteBuf) masked.invoke(null, alloc, payload, i)).release();
            }
            long t1 = System.nanoTime();
            for (int i = 0; i < FRAMES; i++) {
                encoder.writeOutbound(new BinaryWebSocketFrame(payload.retainedDuplicate()));
                drain(encoder, false);
            }
            long t2 = System.nanoTime();
            for (int i = 0; i < FRAMES; i++) {
                decoder.writeInbound(alloc.directBuffer(frame.readableBytes()).writeBytes(frame, frame.readerIndex(),
                        frame.readableBytes()));
                drain(decoder, true);
            }
            long t3 = System.nanoTime();
            for (int i = 0; i < FRAMES; i++) {
                ((ByteBuf) zeroKeyHeader.invoke(null, alloc, size)).release();
                payload.retain().release(); // what the codec does with the payload instead of copying it
            }
            long t4 = System.nanoTime();
            for (int i = 0; i < FRAMES; i++) {
                decoder.writeInbound(alloc.directBuffer(zeroKeyFrame.readableBytes()).writeBytes(zeroKeyFrame,
                        zeroKeyFrame.readerIndex(), zeroKeyFrame.readableBytes()));
                drain(decoder, true);
            }
            long t5 = System.nanoTime();
            System.out.printf("%5d  %19.2f  %22.2f  %22.2f  %13.2f  %20.2f%n", round, perFrame(t1 - t0),
                    perFrame(t2 - t1), perFrame(t3 - t2), perFrame(t4 - t3), perFrame(t5 - t4));
        }
        frame.release();
        zeroKeyFrame.release();
        payload.release();
        encoder.finishAndReleaseAll();
        decoder.finishAndReleaseAll();
    }

    private static double perFrame(long nanos) {
        return nanos / 1e3 / FRAMES;
    }

    private static void drain(EmbeddedChannel channel, boolean inbound) {
        Object message;
        while ((message = inbound ? channel.readInbound() : channel.readOutbound()) != null) {
            ReferenceCountUtil.release(message);
        }
    }
}
