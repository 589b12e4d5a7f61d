package dev.mproxy.websocket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslHandler;
import java.util.Random;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;

/** How the side that dials masks its binary frames (control 1.2), read back by Netty's server-side decoder. */
class WebSocketFrameCodecTest {

    private final Random random = new Random(6455);

    @Test
    void insideTlsTheKeyIsZeroAndThePayloadGoesOutUncopied() throws Exception {
        byte[] bytes = bytes(70_000); // a 64-bit length
        ByteBuf payload = Unpooled.directBuffer(bytes.length).writeBytes(bytes);
        EmbeddedChannel client = new EmbeddedChannel(WebSocketFrameCodec.client(pipelineWithTls()));
        client.writeOutbound(payload.retain());

        ByteBuf header = client.readOutbound();
        ByteBuf body = client.readOutbound();
        assertSame(payload, body, "the payload itself follows the header");
        assertEquals("82ff0000000000011170" + "00000000", ByteBufUtil.hexDump(header),
                "FIN binary, mask bit, 64-bit length 70000, key 0");
        assertArrayEquals(bytes, MaskedFramesTest.serverDecodes(Unpooled.wrappedBuffer(header, body)));
        payload.release();
        client.finishAndReleaseAll();
    }

    @Test
    void overPlainTcpEachFrameHasARandomKey() {
        byte[] bytes = bytes(300);
        EmbeddedChannel plain = new EmbeddedChannel();
        EmbeddedChannel client = new EmbeddedChannel(WebSocketFrameCodec.client(plain.pipeline()));
        plain.finish();
        client.writeOutbound(Unpooled.wrappedBuffer(bytes));
        client.writeOutbound(Unpooled.wrappedBuffer(bytes));

        ByteBuf first = client.readOutbound();
        ByteBuf second = client.readOutbound();
        assertNull(client.readOutbound(), "one buffer per frame: header and masked payload together");
        // 2 header bytes and a 16-bit length, then the key: two random keys alike is a 1 in 2^32 chance
        assertNotEquals(first.getInt(4), second.getInt(4), "a fresh key per frame");
        assertArrayEquals(bytes, MaskedFramesTest.serverDecodes(first));
        assertArrayEquals(bytes, MaskedFramesTest.serverDecodes(second));
        client.finishAndReleaseAll();
    }

    /** A pipeline holding a real TLS engine (the JDK's: nothing native to release). */
    private static ChannelPipeline pipelineWithTls() throws Exception {
        EmbeddedChannel unregistered = new EmbeddedChannel(false, false);
        unregistered.pipeline().addLast(new SslHandler(SSLContext.getDefault().createSSLEngine("gateway", 443)));
        return unregistered.pipeline();
    }

    private byte[] bytes(int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }
}
