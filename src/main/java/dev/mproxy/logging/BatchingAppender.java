package dev.mproxy.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Writes log lines in batches: a line is copied into a buffer and reaches the stream at most
 * {@link #FLUSH_DELAY_MILLIS} later, together with the lines logged meanwhile; WARN and above are written at once.
 * The gateway and the connector log one line per stream (the access log), on the tunnel's event loop: one
 * {@code write(2)} per line cost that loop a system call per stream, about a seventh of a connection's cost
 * (bench/README.md, "Where the time goes").
 */
final class BatchingAppender extends OutputStreamAppender<ILoggingEvent> {

    /** How long an INFO line may wait for company; short enough that a tail -f still reads as live. */
    static final long FLUSH_DELAY_MILLIS = 100;
    /** A burst larger than this is written as it comes, by whichever thread fills the buffer. */
    private static final int BUFFER_BYTES = 64 * 1024;

    /** One daemon thread for every appender of the process: it only ever flushes. */
    private static final ScheduledExecutorService FLUSHER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "log-flush");
        thread.setDaemon(true);
        return thread;
    });

    private final AtomicBoolean flushScheduled = new AtomicBoolean();

    BatchingAppender() {
        setImmediateFlush(false);
    }

    @Override
    public void setOutputStream(OutputStream out) {
        super.setOutputStream(new BufferedOutputStream(out, BUFFER_BYTES));
    }

    @Override
    protected void subAppend(ILoggingEvent event) {
        super.subAppend(event);
        if (event.getLevel().isGreaterOrEqual(Level.WARN)) {
            flush();
        } else if (flushScheduled.compareAndSet(false, true)) {
            FLUSHER.schedule(this::flush, FLUSH_DELAY_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    /** Writes what is buffered now; from any thread. */
    void flush() {
        flushScheduled.set(false);
        streamWriteLock.lock();
        try {
            OutputStream out = getOutputStream();
            if (out != null) {
                out.flush();
            }
        } catch (IOException e) {
            addError("cannot write log lines", e);
        } finally {
            streamWriteLock.unlock();
        }
    }

    @Override
    public void stop() {
        flush();
        super.stop();
    }
}
