import dev.mproxy.protocol.MproxyMessage;
import dev.mproxy.protocol.MproxyMessageDecoder;
import dev.mproxy.protocol.MproxyMessageEncoder;
import dev.mproxy.protocol.StreamAddress;
import dev.mproxy.websocket.PayloadSlicer;
import dev.mproxy.websocket.WebSocketFrameCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.util.ReferenceCountUtil;
import java.util.Random;

/**
 * What the gateway spends on each tunnel frame it reads, on one thread, with no network and no TLS (issue 16): the
 * tunnel's inbound handlers from the WebSocket bytes to M-PROXY messages, fed frames of one M-PROXY data message
 * each (a 64 KiB read of a local service, as the connector sends them: key-0 masked inside TLS, control 1.2), back
 * to back in reads of 4 to 64 KiB at random, as TLS unwraps and socket reads cut them. Two chains, alternated:
 * <ul>
 *   <li>before: Netty's frame decoder alone, which merges the reads of a frame and copies it whole, and the
 *       M-PROXY decoder merging what spans reads;</li>
 *   <li>now: {@code PayloadSlicer} in front (pieces of the reads handed on as they are) and the M-PROXY decoder
 *       keeping a body that spans reads as the reads it came in.</li>
 * </ul>
 * Run: {@code java -Xmx128m -Dio.netty.leakDetection.level=disabled -cp target/mproxy.jar bench/InboundCost.java
 * [bytes]} (default 65536; -Xmx128m as the launcher: Netty's allocator then pools nothing over 16,896 bytes).
 * Prints microseconds per frame for 6 rounds of 20,000 frames per chain; read the last rounds.
 */
public final class InboundCost {

    private static final int FRAMES = 20_000;
    private static final int ROUNDS = 6;
    private static final int MAX_FRAME = 1024 * 1024 + 512;
    /** Reads of 4-64 KiB: what one TLS unwrap or one socket read hands on, at random. */
    private static final int MIN_READ = 4096;
    private static final int MAX_READ = 65536;

    public static void main(String[] args) {
        int size = args.length > 0 ? Integer.parseInt(args[0]) : 65536;
        ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
        byte[] frame = frame(size);
        System.out.printf("%d-byte bodies, frames of %d bytes, %s, max heap %d MiB%n", size, frame.length,
                alloc.getClass().getSimpleName(), Runtime.getRuntime().maxMemory() >> 20);
        for (int round = 1; round <= ROUNDS; round++) {
            double before = run(alloc, frame, false);
            double now = run(alloc, frame, true);
            System.out.printf("round %d  before %6.2f us/frame  now %6.2f us/frame%n", round, before, now);
        }
    }

    private static double run(ByteBufAllocator alloc, byte[] frame, boolean slicing) {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.config().setAllocator(alloc);
        channel.pipeline().addLast(new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder()
                .maxFramePayloadLength(MAX_FRAME).expectMaskedFrames(true).allowExtensions(false).build()));
        MproxyMessageDecoder messages = new MproxyMessageDecoder();
        if (slicing) {
            PayloadSlicer.addInFront(channel.pipeline(), true, MAX_FRAME);
        } else {
            messages.setCumulator(ByteToMessageDecoder.MERGE_CUMULATOR);
        }
        channel.pipeline().addLast(WebSocketFrameCodec.SERVER, messages);
        Random random = new Random(1);
        long bodyBytes = 0;
        long total = (long) FRAMES * frame.length;
        long start = System.nanoTime();
        for (long at = 0; at < total; ) {
            int read = (int) Math.min(total - at, MIN_READ + random.nextInt(MAX_READ - MIN_READ + 1));
            ByteBuf bytes = alloc.directBuffer(read);
            for (int left = read; left > 0; ) {
                int from = (int) (at % frame.length);
                int n = Math.min(left, frame.length - from);
                bytes.writeBytes(frame, from, n);
                at += n;
                left -= n;
            }
            channel.writeInbound(bytes);
            Object message;
            while ((message = channel.readInbound()) != null) {
                bodyBytes += ((MproxyMessage) message).content().readableBytes();
                ReferenceCountUtil.release(message);
            }
        }
        double micros = (System.nanoTime() - start) / 1000.0 / FRAMES;
        channel.finishAndReleaseAll();
        if (bodyBytes != (long) FRAMES * (frame.length - headerLength(frame))) {
            throw new AssertionError("bodies: " + bodyBytes);
        }
        return micros;
    }

    /** One key-0 masked binary frame holding one M-PROXY data message of {@code size} body bytes. */
    private static byte[] frame(int size) {
        EmbeddedChannel encoder = new EmbeddedChannel(MproxyMessageEncoder.INSTANCE);
        ByteBuf body = ByteBufAllocator.DEFAULT.buffer(size).writeZero(size);
        encoder.writeOutbound(MproxyMessage.data(new StreamAddress("IPv4", "127.0.0.1", "40000"), "http", "443",
                "device.example", body));
        CompositeByteBuf message = ByteBufAllocator.DEFAULT.compositeBuffer();
        ByteBuf part;
        while ((part = encoder.readOutbound()) != null) {
            message.addComponent(true, part);
        }
        int length = message.readableBytes();
        ByteBuf frame = ByteBufAllocator.DEFAULT.buffer(length + 14);
        frame.writeByte(0x82);
        if (length < 126) {
            frame.writeByte(0x80 | length);
        } else if (length <= 0xffff) {
            frame.writeByte(0x80 | 126).writeShort(length);
        } else {
            frame.writeByte(0x80 | 127).writeLong(length);
        }
        frame.writeInt(0).writeBytes(message);
        message.release();
        byte[] bytes = new byte[frame.readableBytes()];
        frame.readBytes(bytes).release();
        return bytes;
    }

    /** Bytes of the frame before the M-PROXY body: the frame's header and the message's. */
    private static int headerLength(byte[] frame) {
        int at = (frame[1] & 0x7f) == 127 ? 14 : (frame[1] & 0x7f) == 126 ? 8 : 6;
        return at + 2 + (frame[at + 1] & 0xff);
    }
}
