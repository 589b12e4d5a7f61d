package dev.mproxy.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Which buffers {@link RecyclingAllocator} makes of blocks, and that it keeps at most its bound of them. */
@Timeout(30)
class RecyclingAllocatorTest {

    private final RecyclingAllocator alloc = new RecyclingAllocator(ByteBufAllocator.DEFAULT);

    @Test
    void aLargeBufferIsABlockTakenBackAtItsReleaseAndUsedAgain() {
        ByteBuf first = alloc.directBuffer(RecyclingAllocator.POOLED_BY_DEFAULT + 1);
        assertSame(alloc, first.alloc());
        assertEquals(RecyclingAllocator.POOLED_BY_DEFAULT + 1, first.capacity(), "what was asked for, no more");
        assertEquals(0, first.readableBytes(), "a new buffer has nothing to read");
        long address = first.memoryAddress();
        first.release();
        assertEquals(1, alloc.keptBlocks());

        ByteBuf second = alloc.ioBuffer(RecyclingAllocator.BLOCK);
        assertEquals(address, second.memoryAddress(), "the kept block is used again");
        assertEquals(RecyclingAllocator.BLOCK, second.capacity());
        assertEquals(RecyclingAllocator.BLOCK, second.writeBytes(new byte[RecyclingAllocator.BLOCK]).readableBytes());
        assertEquals(0, alloc.keptBlocks());
        second.release();
    }

    @Test
    void otherBuffersAreTheDefaultAllocators() {
        List<ByteBuf> buffers = List.of(
                alloc.directBuffer(RecyclingAllocator.POOLED_BY_DEFAULT), // Netty pools it already
                alloc.directBuffer(RecyclingAllocator.BLOCK + 1), // larger than a block
                // may not grow to a block
                alloc.directBuffer(RecyclingAllocator.POOLED_BY_DEFAULT + 1, RecyclingAllocator.BLOCK - 1),
                alloc.heapBuffer(RecyclingAllocator.BLOCK));
        for (ByteBuf buffer : buffers) {
            assertNotSame(alloc, buffer.alloc(), buffer.toString());
            buffer.release();
        }
        assertEquals(0, alloc.keptBlocks());
    }

    @Test
    void atMostTheBoundOfBlocksIsKept() {
        List<ByteBuf> buffers = new ArrayList<>();
        for (int i = 0; i < RecyclingAllocator.KEPT_BLOCKS + 8; i++) {
            buffers.add(alloc.directBuffer(RecyclingAllocator.BLOCK));
        }
        buffers.forEach(ByteBuf::release);
        assertEquals(RecyclingAllocator.KEPT_BLOCKS, alloc.keptBlocks());
    }

    @Test
    void aBufferGrownPastItsBlockKeepsItsBytesAndGivesTheBlockBack() {
        ByteBuf buffer = alloc.directBuffer(RecyclingAllocator.BLOCK);
        byte[] bytes = new byte[RecyclingAllocator.BLOCK + 100];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) i;
        }
        buffer.writeBytes(bytes);
        byte[] read = new byte[bytes.length];
        buffer.readBytes(read);
        assertArrayEquals(bytes, read);
        buffer.release();
        assertEquals(1, alloc.keptBlocks(), "the block it began on");
    }

    @Test
    void everySocketOfTheTransportUsesTheSharedInstance() throws Exception {
        EventLoopGroup group = Transport.newGroup(1);
        try {
            CompletableFuture<Channel> accepted = new CompletableFuture<>();
            Channel server = Transport.bind(new ServerBootstrap().group(group).channel(Transport.serverChannel())
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            accepted.complete(ch);
                        }
                    }), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), null);
            Channel client = new Bootstrap().group(group).channel(Transport.socketChannel())
                    .handler(new ChannelInboundHandlerAdapter())
                    .connect(server.localAddress()).sync().channel();
            Channel child = accepted.get(10, TimeUnit.SECONDS);
            assertNotNull(child);
            assertSame(RecyclingAllocator.INSTANCE, client.config().getAllocator(), "a connecting socket");
            assertSame(RecyclingAllocator.INSTANCE, child.config().getAllocator(), "an accepted socket");
            client.close().sync();
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
