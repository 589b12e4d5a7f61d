package dev.mproxy.websocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Frames masked by {@link MaskedFrames} read back by Netty's server-side decoder, which insists on masks. */
class MaskedFramesTest {

    private final Random random = new Random(6455);

    @Test
    void everyLengthEncodingAndMaskPhaseDecodesToThePayload() {
        // 7-bit, 16-bit and 64-bit lengths, each side of their limits, and lengths not a multiple of 8
        for (int length : new int[] {0, 1, 7, 8, 9, 125, 126, 127, 1000, 65535, 65536, 100_003}) {
            byte[] payload = bytes(length);
            assertEquals(ByteBufUtil.hexDump(payload), ByteBufUtil.hexDump(roundTrip(Unpooled.wrappedBuffer(payload))),
                    "length " + length);
            // direct to direct is masked by address, in the machine's byte order
            ByteBuf direct = ByteBufAllocator.DEFAULT.directBuffer(length).writeBytes(payload);
            assertEquals(ByteBufUtil.hexDump(payload), ByteBufUtil.hexDump(roundTrip(direct)), "direct, length " + length);
        }
    }

    @Test
    void compositePayloadsWhosePartsEndMidMaskDecodeToThePayload() {
        for (int trial = 0; trial < 200; trial++) {
            CompositeByteBuf composite = ByteBufAllocator.DEFAULT.compositeDirectBuffer();
            StringBuilder expected = new StringBuilder();
            for (int part = random.nextInt(5); part >= 0; part--) {
                byte[] bytes = bytes(random.nextInt(40));
                expected.append(ByteBufUtil.hexDump(bytes));
                ByteBuf direct = ByteBufAllocator.DEFAULT.directBuffer(bytes.length + 3);
                direct.writeBytes(new byte[3]).writeBytes(bytes).skipBytes(3); // a reader index that is not 0
                composite.addComponent(true, direct);
            }
            assertEquals(expected.toString(), ByteBufUtil.hexDump(roundTrip(composite)));
        }
    }

    /** Masks {@code payload}, releases it, and returns what a server decodes, as bytes (released). */
    private byte[] roundTrip(ByteBuf payload) {
        int readerIndex = payload.readerIndex();
        ByteBuf frame = MaskedFrames.binary(ByteBufAllocator.DEFAULT, payload, random.nextInt());
        assertEquals(readerIndex, payload.readerIndex(), "the payload is left as it was");
        payload.release();
        return serverDecodes(frame);
    }

    /** What a server that insists on masks decodes from {@code frame}, one whole final frame (released). */
    static byte[] serverDecodes(ByteBuf frame) {
        EmbeddedChannel server = new EmbeddedChannel(new WebSocket08FrameDecoder(WebSocketDecoderConfig.newBuilder()
                .expectMaskedFrames(true).allowMaskMismatch(false).maxFramePayloadLength(1 << 20).build()));
        server.writeInbound(frame);
        BinaryWebSocketFrame decoded = server.readInbound();
        assertNotNull(decoded, "one whole frame");
        try {
            assertTrue(decoded.isFinalFragment());
            return ByteBufUtil.getBytes(decoded.content());
        } finally {
            decoded.release();
            server.finishAndReleaseAll();
        }
    }

    private byte[] bytes(int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }
}
