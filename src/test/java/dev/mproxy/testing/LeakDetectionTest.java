package dev.mproxy.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;

/** The leak check itself must be able to fail, or every "no leak" in this suite means nothing. */
class LeakDetectionTest {

    @Test
    void leakedBufferIsReportedAndReleasedOneIsNot() {
        LeakReports.collect(); // start clean
        leak();
        boolean reported = false;
        for (int attempt = 0; attempt < 20 && !reported; attempt++) {
            reported = LeakReports.collect().stream().anyMatch(r -> r.contains("LEAK"));
        }
        assertTrue(reported, "an unreleased buffer must be reported");

        ByteBuf released = PooledByteBufAllocator.DEFAULT.buffer(64);
        released.writeLong(1);
        released.release();
        assertFalse(LeakReports.collect().stream().anyMatch(r -> r.contains("LEAK")));
    }

    private static void leak() {
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.buffer(64);
        buf.writeLong(42);
        // dropped without release on purpose
    }
}
