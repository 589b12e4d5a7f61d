package dev.mproxy.testing;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledDirectByteBuf;
import io.netty.buffer.UnpooledHeapByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * An allocator that remembers every buffer it hands out, so a test can assert after one input that all of them
 * were released: the leak detector samples by GC and reports late, while a fuzz target needs the verdict for
 * the input it just ran. Unpooled, so a buffer released twice fails at once with an
 * {@link io.netty.util.IllegalReferenceCountException}.
 */
public final class TrackingAllocator extends AbstractByteBufAllocator {

    private final List<ByteBuf> allocated = new ArrayList<>();

    public TrackingAllocator() {
        super(false);
    }

    @Override
    protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
        return track(new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity));
    }

    @Override
    protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
        return track(new UnpooledDirectByteBuf(this, initialCapacity, maxCapacity));
    }

    @Override
    public boolean isDirectBufferPooled() {
        return false;
    }

    /** Buffers handed out so far. */
    public int allocations() {
        return allocated.size();
    }

    /**
     * Throws unless every buffer handed out has been released.
     *
     * @param what names the input, for the message
     */
    public void assertAllReleased(String what) {
        List<String> live = new ArrayList<>();
        for (ByteBuf b : allocated) {
            if (b.refCnt() != 0) {
                live.add(b.getClass().getSimpleName() + "(refCnt: " + b.refCnt() + ", capacity: " + b.capacity()
                        + ')');
            }
        }
        if (!live.isEmpty()) {
            throw new AssertionError(live.size() + " of " + allocated.size() + " buffers not released after "
                    + what + " (expected: all released): " + live);
        }
    }

    private ByteBuf track(ByteBuf buf) {
        allocated.add(buf);
        return buf;
    }
}
