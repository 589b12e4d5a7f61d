package dev.mproxy.guard;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mproxy.transport.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import java.lang.ref.WeakReference;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The guard classes on their own: each bound of protocol-spec/limits.md at its edge. */
@Timeout(30)
class GuardsTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    @Test
    void remoteTextKeepsPrintableAsciiAndEscapesEverythingElse() {
        // limits 5.1: a newline in SNI forged a log line; NUL and bidi overrides went to the log raw
        assertEquals("\"bye\\nINFO: forged\\r\\u0000\\u001b[31m\"",
                RemoteText.quoted("bye\nINFO: forged\r\0\u001b[31m"));
        assertEquals("\"\\u2028\\u202e\\u0085\"", RemoteText.quoted("\u2028\u202e\u0085"));
        assertEquals("\"a \\\"quote\\\" and a \\\\\"", RemoteText.quoted("a \"quote\" and a \\"));
        assertEquals("\"d\\u00e9j\\u00e0 vu\"", RemoteText.quoted("déjà vu"));
        assertEquals("\"\"", RemoteText.quoted(""));
        assertEquals("null", RemoteText.quoted(null));
    }

    @Test
    void remoteTextIsCutToItsBound() {
        // limits 5.1: 200 connections with a 16,000-byte SNI added 9.7 MB of log
        assertEquals('"' + "y".repeat(RemoteText.MAX_CHARS) + "\"...", RemoteText.quoted("y".repeat(16_000)));
        assertEquals('"' + "y".repeat(RemoteText.MAX_CHARS) + '"', RemoteText.quoted("y".repeat(RemoteText.MAX_CHARS)));
    }

    @Test
    void digestIsShortStableAndTellsValuesApart() {
        // limits 5.4: relay ids are logged as a digest
        String id = "AAAAbbbbCCCCdddd";
        assertTrue(RemoteText.digest(id).matches("#[0-9a-f]{8}"), RemoteText.digest(id));
        assertEquals(RemoteText.digest(id), RemoteText.digest(id));
        assertNotEquals(RemoteText.digest(id), RemoteText.digest(id + "e"));
    }

    @Test
    void sourceIsAnIpv4AddressOrAnIpv6Slash64() throws Exception {
        // limits 2.1
        assertEquals("203.0.113.7", SourceKey.of(InetAddress.getByName("203.0.113.7")));
        assertEquals(SourceKey.of(InetAddress.getByName("2001:db8:0:1::1")),
                SourceKey.of(InetAddress.getByName("2001:db8:0:1:ffff:ffff:ffff:ffff")));
        assertNotEquals(SourceKey.of(InetAddress.getByName("2001:db8:0:1::1")),
                SourceKey.of(InetAddress.getByName("2001:db8:0:2::1")));
        assertEquals("2001:db8:0:1::/64", SourceKey.of(InetAddress.getByName("2001:db8:0:1::1")));
        assertEquals("192.0.2.1", SourceKey.of(InetAddress.getByName("::ffff:192.0.2.1")), "IPv4-mapped is IPv4");
    }

    @Test
    void sourceLimitsCapEachSourceAndForgetThoseHoldingNothing() {
        SourceLimits limits = new SourceLimits(2);
        assertTrue(limits.tryAcquire("a"));
        assertTrue(limits.tryAcquire("a"));
        assertFalse(limits.tryAcquire("a"));
        assertTrue(limits.tryAcquire("b"), "another source is served");
        limits.release("a");
        assertTrue(limits.tryAcquire("a"));
        limits.release("a");
        limits.release("a");
        assertEquals(0, limits.held("a"));
    }

    @Test
    void sourceLimitsReleaseWhenTheChannelCloses() {
        SourceLimits limits = new SourceLimits(1);
        EmbeddedChannel first = new EmbeddedChannel();
        assertTrue(limits.admit(first));
        assertFalse(limits.admit(new EmbeddedChannel()), "same source: the embedded address");
        first.close();
        assertTrue(limits.admit(new EmbeddedChannel()));
    }

    @Test
    void authThrottleRefusesASourceAfterItsFailuresUntilTheWindowPasses() {
        // limits 4.2
        AuthThrottle throttle = new AuthThrottle(3, Duration.ofSeconds(60), now::get);
        for (int i = 0; i < 3; i++) {
            assertFalse(throttle.isThrottled("a"));
            throttle.failed("a");
        }
        assertTrue(throttle.isThrottled("a"));
        assertFalse(throttle.isThrottled("b"));
        now.addAndGet(Duration.ofSeconds(61).toNanos());
        assertFalse(throttle.isThrottled("a"), "the window passed");
        throttle.failed("a");
        assertFalse(throttle.isThrottled("a"), "counting started over");
    }

    @Test
    void memoryBudgetIsSpentOverItsLimitAndRecoversAtHalf() {
        // limits 3.1, 3.2
        MemoryBudget gateway = new MemoryBudget("gateway", 1000, null);
        MemoryBudget tunnel = new MemoryBudget("tunnel", 100, gateway);
        List<String> changes = new ArrayList<>();
        tunnel.addListener(() -> changes.add(tunnel.isSpent() ? "spent" : "free"));
        tunnel.reserve(100);
        assertFalse(tunnel.isSpent(), "at the limit is not over it");
        tunnel.reserve(1);
        assertTrue(tunnel.isSpent());
        assertEquals(101, gateway.used(), "the parent is charged too");
        tunnel.release(30);
        assertTrue(tunnel.isSpent(), "still over half");
        tunnel.release(21);
        assertFalse(tunnel.isSpent());
        assertEquals(List.of("spent", "free"), changes);
        MemoryBudget other = new MemoryBudget("other", 2000, gateway);
        other.reserve(1000);
        assertTrue(tunnel.isSpent(), "a spent parent spends every child");
        other.release(1000);
        assertFalse(tunnel.isSpent());
    }

    @Test
    void writeBudgetChargesQueuedBytesUntilWritten() {
        MemoryBudget budget = new MemoryBudget("tunnel", 1 << 20, null);
        EmbeddedChannel ch = new EmbeddedChannel(new WriteBudget(budget));
        ch.write(Unpooled.wrappedBuffer(new byte[300]));
        assertEquals(300, budget.used(), "queued, not yet flushed");
        ch.flush();
        assertEquals(0, budget.used());
        ((io.netty.buffer.ByteBuf) ch.readOutbound()).release();
        ch.write(Unpooled.wrappedBuffer(new byte[50]), ch.voidPromise());
        ch.close(); // a write that fails gives its bytes back too
        assertEquals(0, budget.used());
        // and its void promise still reports the failure down the pipeline, as it would have without the budget
        assertThrows(java.nio.channels.ClosedChannelException.class, ch::checkException);
        ch.finishAndReleaseAll();
    }

    @Test
    void readGateStopsReadingWhileTheBudgetIsSpent() {
        MemoryBudget budget = new MemoryBudget("tunnel", 100, null);
        ReadGate gate = new ReadGate(budget, Refusals.loggingTo(logger()));
        EmbeddedChannel ch = new EmbeddedChannel(gate);
        assertTrue(ch.config().isAutoRead());
        budget.reserve(101);
        ch.runPendingTasks();
        assertFalse(ch.config().isAutoRead());
        budget.release(101);
        ch.runPendingTasks();
        assertTrue(ch.config().isAutoRead());
        ch.finishAndReleaseAll();
    }

    @Test
    void rateLimitedLogWritesOneLinePerKeyPerIntervalAndCountsTheRest() {
        // limits 5.2
        List<String> lines = new ArrayList<>();
        RateLimitedLog log = new RateLimitedLog(recording(lines), Duration.ofSeconds(10), now::get);
        assertTrue(log.info("A", "first"));
        assertFalse(log.info("A", "second"));
        assertFalse(log.info("A", "third"));
        assertTrue(log.info("B", "other key"));
        now.addAndGet(Duration.ofSeconds(10).toNanos());
        assertTrue(log.info("A", "fourth"));
        assertEquals(List.of("first", "other key", "fourth (and 2 more like it not logged)"), lines);
    }

    @Test
    void refusalsCountEveryEventEvenThoseNotLogged() {
        List<String> lines = new ArrayList<>();
        Refusals refusals = new Refusals(new RateLimitedLog(recording(lines), Duration.ofSeconds(10), now::get));
        for (int i = 0; i < 5; i++) {
            refusals.refuse(Refusal.TOO_MANY_CONNECTIONS, "from 192.0.2.1");
        }
        assertEquals(5, refusals.count(Refusal.TOO_MANY_CONNECTIONS));
        assertEquals(0, refusals.count(Refusal.NOT_TLS));
        assertEquals(1, lines.size());
        assertEquals(Refusal.values().length, refusals.snapshot().size());
    }

    @Test
    void idleCloseLetsGoOfAClosedConnection() throws Exception {
        // limits 2.3: the pending check held each closed connection's channel for the whole timeout (issue 16)
        EventLoopGroup group = Transport.newGroup(1);
        try {
            AtomicReference<WeakReference<Channel>> accepted = new AtomicReference<>();
            CountDownLatch closed = new CountDownLatch(1);
            Channel server = new ServerBootstrap().group(group).channel(Transport.serverChannel())
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new IdleClose(Duration.ofMinutes(10), Refusals.loggingTo(logger())));
                            ch.closeFuture().addListener(f -> closed.countDown());
                            accepted.set(new WeakReference<>(ch));
                        }
                    })
                    .bind(InetAddress.getLoopbackAddress(), 0).sync().channel();
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(),
                    ((InetSocketAddress) server.localAddress()).getPort())) {
                await().atMost(Duration.ofSeconds(10)).until(() -> accepted.get() != null);
            }
            assertTrue(closed.await(10, TimeUnit.SECONDS), "the server saw the client close");
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                System.gc();
                return accepted.get().get() == null;
            });
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    private static InternalLogger logger() {
        return InternalLoggerFactory.getInstance(GuardsTest.class);
    }

    /** A real logger's INFO lines, also kept in {@code lines}. */
    private static InternalLogger recording(List<String> lines) {
        InternalLogger delegate = logger();
        return (InternalLogger) java.lang.reflect.Proxy.newProxyInstance(GuardsTest.class.getClassLoader(),
                new Class<?>[] {InternalLogger.class}, (proxy, method, args) -> {
                    if (method.getName().equals("isInfoEnabled")) {
                        return true;
                    }
                    if (method.getName().equals("info") && args.length == 1 && args[0] instanceof String) {
                        lines.add((String) args[0]);
                    }
                    return method.invoke(delegate, args);
                });
    }
}
