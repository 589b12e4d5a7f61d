import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;

/**
 * What a large direct buffer costs to take and give back, on one thread (issue 16): under the launcher's -Xmx128m
 * Netty's default allocator pools nothing over 16,896 bytes, so each 64 KiB read buffer or TLS output is a fresh
 * {@code ByteBuffer.allocateDirect} (zeroed, freed by a Cleaner). Against it: the same allocator at 16 KiB, and a
 * small pooled allocator (one direct arena, 1 MiB chunks) such as the tunnel's reads alone could use.
 * Run: {@code java -Xmx128m -Dio.netty.leakDetection.level=disabled -cp target/mproxy.jar bench/AllocCost.java}
 * Prints nanoseconds per allocate-write-release for 5 rounds; read the last ones.
 */
public final class AllocCost {

    private static final int COUNT = 200_000;

    public static void main(String[] args) {
        ByteBufAllocator adaptive = ByteBufAllocator.DEFAULT;
        ByteBufAllocator pooled = new PooledByteBufAllocator(true, 0, 1, 8192, 7, 0, 0, false);
        System.out.printf("default allocator %s, max heap %d MiB%n", adaptive.getClass().getSimpleName(),
                Runtime.getRuntime().maxMemory() >> 20);
        for (int round = 1; round <= 5; round++) {
            System.out.printf("round %d  default 64 KiB %6.0f ns  default 16 KiB %6.0f ns  pooled 64 KiB %6.0f ns%n",
                    round, run(adaptive, 65536), run(adaptive, 16384), run(pooled, 65536));
        }
    }

    private static double run(ByteBufAllocator alloc, int size) {
        long start = System.nanoTime();
        long sink = 0;
        for (int i = 0; i < COUNT; i++) {
            ByteBuf buf = alloc.directBuffer(size);
            buf.setLong(size - 8, i); // touch it, as a read would
            sink += buf.getLong(size - 8);
            buf.release();
        }
        if (sink == 42) {
            System.out.print("");
        }
        return (System.nanoTime() - start) / (double) COUNT;
    }
}
