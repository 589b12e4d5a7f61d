package dev.mproxy.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
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

    @Test
    void leakedObjectOfAnotherTrackedTypeIsReportedToo() {
        LeakReports.collect();
        leakProxyHeader();
        boolean reported = false;
        for (int attempt = 0; attempt < 20 && !reported; attempt++) {
            reported = LeakReports.collect().stream().anyMatch(r -> r.contains("HAProxyMessage"));
        }
        assertTrue(reported, "an unreleased PROXY protocol header must be reported");
    }

    private static void leakProxyHeader() {
        new HAProxyMessage(HAProxyProtocolVersion.V2, HAProxyCommand.PROXY, HAProxyProxiedProtocol.TCP4,
                "192.0.2.1", "0.0.0.0", 1234, 443); // dropped without release on purpose
    }

    private static void leak() {
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.buffer(64);
        buf.writeLong(42);
        // dropped without release on purpose
    }
}
