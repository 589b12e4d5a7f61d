package dev.mproxy.logging;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The process's log: INFO lines batched into few writes, WARN at once, nothing lost at stop. */
@Timeout(30)
class BatchingAppenderTest {

    private final LoggerContext context = new LoggerContext();
    private final CountingStream out = new CountingStream();

    @BeforeEach
    void batched() {
        context.setMDCAdapter(new LogbackMDCAdapter()); // a context of its own, not the process's
        Logging.configure(context, Level.INFO, LogFormat.TEXT, out);
    }

    @AfterEach
    void stop() {
        context.stop();
    }

    @Test
    void infoLinesOfOneBurstReachTheStreamInOneWrite() {
        Logger access = context.getLogger("dev.mproxy.access");
        for (int i = 0; i < 100; i++) {
            access.info("stream {} end=closed", i);
        }
        assertEquals(0, out.writes.get(), "no write per line");
        await().atMost(Duration.ofSeconds(5)).until(() -> out.text().contains("stream 99 end=closed"));
        assertEquals(1, out.writes.get(), "one write for the burst");
        assertEquals(100, out.text().lines().count());
    }

    @Test
    void aWarningIsWrittenAtOnceWithWhatWasBufferedBeforeIt() {
        context.getLogger("dev.mproxy.access").info("stream 1 end=closed");
        context.getLogger("dev.mproxy.gateway").warn("disk full");
        String text = out.text();
        assertTrue(text.contains("disk full"), text);
        assertTrue(text.indexOf("stream 1 end=closed") >= 0 && text.indexOf("stream 1") < text.indexOf("disk full"),
                text);
    }

    @Test
    void stoppingWritesWhatIsBuffered() {
        context.getLogger("dev.mproxy.access").info("the last stream");
        context.stop();
        assertTrue(out.text().contains("the last stream"), out.text());
    }

    /** Counts the writes that reach it, as a file descriptor would count write(2) calls. */
    private static final class CountingStream extends OutputStream {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final AtomicInteger writes = new AtomicInteger();

        @Override
        public synchronized void write(int b) {
            writes.incrementAndGet();
            bytes.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            writes.incrementAndGet();
            bytes.write(b, off, len);
        }

        synchronized String text() {
            return bytes.toString(StandardCharsets.UTF_8);
        }
    }
}
