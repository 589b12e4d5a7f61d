package dev.mproxy.transport;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledUnsafeDirectByteBuf;
import io.netty.util.internal.PlatformDependent;
import java.nio.ByteBuffer;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Netty's default allocator, except that a direct buffer of more than {@value #POOLED_BY_DEFAULT} bytes and at
 * most {@value #BLOCK} lies at the start of a block of {@value #BLOCK} bytes, taken back at its release and kept
 * for the next one, up to {@value #KEPT_BLOCKS} blocks (1 MiB). Its capacity is what was asked for, as Netty's
 * allocators give it: Netty's own code fills a new buffer's capacity ({@code ByteBufUtil.readBytes}).
 *
 * <p>Under a heap of 512 MiB or less (the launcher's {@code -Xmx128m}) Netty's adaptive allocator runs in its
 * low-memory mode and pools nothing over {@value #POOLED_BY_DEFAULT} bytes: every 64 KiB socket read and every
 * buffer TLS decrypted a read into was a new {@code ByteBuffer.allocateDirect}, zeroed, and freed again, 5-7 %
 * of each side's CPU at 64 KiB responses (bench/README.md, "Fifth pass"). Netty's own pools do not fit: the
 * adaptive allocator's large-buffer pool is off in that mode for the whole process, and a small
 * {@code PooledByteBufAllocator} freed and zeroed its chunks as often as they emptied. A block list bounds what
 * is kept to 1 MiB whatever the load was.
 */
public final class RecyclingAllocator extends AbstractByteBufAllocator {

    /** The largest buffer Netty's adaptive allocator pools in its low-memory mode (Netty 4.2). */
    static final int POOLED_BY_DEFAULT = 16_896;
    /** The size of every block: Netty's largest socket read. */
    static final int BLOCK = 64 * 1024;
    /** Blocks kept for reuse at most; the rest are freed at their release. */
    static final int KEPT_BLOCKS = 16;

    /** The one instance: every channel shares the blocks. */
    public static final RecyclingAllocator INSTANCE = new RecyclingAllocator(ByteBufAllocator.DEFAULT);

    private final ByteBufAllocator small;
    private final Queue<ByteBuffer> kept = PlatformDependent.newFixedMpmcQueue(KEPT_BLOCKS);
    /** Blocks that exist now, in use or kept. */
    private final AtomicInteger blocksHeld = new AtomicInteger();
    /** Blocks need Netty's by-address buffers; without {@code Unsafe} everything is the default allocator's. */
    private final boolean blocks = PlatformDependent.hasUnsafe();

    RecyclingAllocator(ByteBufAllocator small) {
        super(PlatformDependent.directBufferPreferred()); // as Netty's default allocator
        this.small = small;
    }

    @Override
    protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
        return small.heapBuffer(initialCapacity, maxCapacity);
    }

    @Override
    protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
        if (!blocks || initialCapacity <= POOLED_BY_DEFAULT || initialCapacity > BLOCK || maxCapacity < BLOCK) {
            return small.directBuffer(initialCapacity, maxCapacity);
        }
        ByteBuffer block = kept.poll();
        if (block == null) {
            block = ByteBuffer.allocateDirect(BLOCK);
            blocksHeld.incrementAndGet();
        }
        block.limit(initialCapacity); // Netty's code reads and writes a new buffer's capacity, not what was asked for
        return toLeakAwareBuffer(new BlockBuf(this, block, maxCapacity));
    }

    @Override
    public boolean isDirectBufferPooled() {
        return small.isDirectBufferPooled();
    }

    /** Blocks kept for reuse now: at most {@value #KEPT_BLOCKS}. */
    int keptBlocks() {
        return kept.size();
    }

    /** Direct memory in blocks now, in use or kept (Netty's own count leaves them out). */
    public long blockMemory() {
        return (long) blocksHeld.get() * BLOCK;
    }

    private void takeBack(ByteBuffer block) {
        block.clear();
        if (!kept.offer(block)) {
            blocksHeld.decrementAndGet();
            PlatformDependent.freeDirectBuffer(block);
        }
    }

    /**
     * A buffer on a block. Netty does not free a buffer it was given ({@code doFree} false), so the block comes
     * back here at the release; a buffer grown past its block moved to memory of Netty's own, freed by Netty.
     */
    private static final class BlockBuf extends UnpooledUnsafeDirectByteBuf {
        private final RecyclingAllocator owner;
        private final ByteBuffer block;

        BlockBuf(RecyclingAllocator owner, ByteBuffer block, int maxCapacity) {
            super(owner, false, block, maxCapacity);
            this.owner = owner;
            this.block = block;
            clear(); // Netty's constructor counts a given buffer's bytes as written
        }

        @Override
        protected void deallocate() {
            super.deallocate();
            owner.takeBack(block);
        }
    }
}
