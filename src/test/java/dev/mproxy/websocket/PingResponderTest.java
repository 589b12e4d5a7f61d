package dev.mproxy.websocket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link PingResponder}: pings answered and pongs dropped without reading on (rendezvous 3.3). */
@Timeout(10)
class PingResponderTest {

    private final ReadCounter reads = new ReadCounter();
    private final EmbeddedChannel channel = new EmbeddedChannel(reads, PingResponder.INSTANCE);

    @AfterEach
    void release() {
        channel.finishAndReleaseAll();
    }

    @Test
    void pingIsAnsweredAndPongDroppedWithoutAskingForAnotherRead() {
        // Netty's protocol handler calls read() after each when reads are off: a ping flood read on unchecked
        channel.config().setAutoRead(false);
        reads.count = 0;
        channel.writeInbound(new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {4, 2})));
        channel.writeInbound(new PongWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {7})));
        PongWebSocketFrame pong = channel.readOutbound();
        assertArrayEquals(new byte[] {4, 2}, ByteBufUtil.getBytes(pong.content()));
        pong.release();
        assertNull(channel.readInbound(), "neither goes further");
        assertEquals(0, reads.count);

        channel.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1})));
        BinaryWebSocketFrame data = channel.readInbound();
        assertEquals(1, data.content().readableBytes(), "other frames pass");
        data.release();
    }

    @Test
    void pongReplyIsDroppedWhileTheConnectionCannotTakeMore() {
        // rendezvous 3.3: pings must not fill a connection whose peer does not read
        channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(1, 2));
        channel.write(Unpooled.buffer(8).writeZero(8));
        assertFalse(channel.isWritable());
        channel.writeInbound(new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1})));
        channel.flush();
        ByteBuf pending = channel.readOutbound();
        assertEquals(8, pending.readableBytes());
        pending.release();
        assertNull(channel.readOutbound(), "no pong");
    }

    /** Counts the read() calls that reach the head of the pipeline. */
    private static final class ReadCounter extends ChannelOutboundHandlerAdapter {
        int count;

        @Override
        public void read(ChannelHandlerContext ctx) {
            count++;
            ctx.read();
        }
    }
}
