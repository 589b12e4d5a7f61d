package dev.mproxy.relay;

import dev.mproxy.record.Direction;
import dev.mproxy.record.RecordedEvent;
import dev.mproxy.record.RecordingWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import java.io.IOException;
import java.util.concurrent.Callable;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hands one recording's events, in order, to its {@link RecordingWriter} on a writer thread, so the event loop
 * never waits for the disk. Each event gets a sequence number; the {@link Listener} hears on the event loop
 * how far the file has got, so a {@link Relay} forwards bytes only once they are recorded, and hears of the
 * first failure, after which nothing more is written.
 */
public final class RecordingTap {

    private static final InternalLogger logger = InternalLoggerFactory.getInstance(RecordingTap.class);

    /** Above this many bytes not yet written, the relay stops reading; a relay's memory stays bounded. */
    static final long HIGH_WATER_MARK = 1024 * 1024;
    /** The relay reads again once the backlog is back under this. */
    static final long LOW_WATER_MARK = 256 * 1024;

    /** What the tap tells its user; called on the event loop. */
    public interface Listener {
        /** Events up to {@link #written()} are in the file. */
        void recorded();

        /** The recording cannot go on: nothing after the events already recorded will be. */
        void failed(IOException cause);
    }

    private static final Listener IGNORE = new Listener() {
        @Override
        public void recorded() {
        }

        @Override
        public void failed(IOException cause) {
        }
    };

    private final String name;
    private final EventExecutor loop;
    private final EventExecutor writerThread;
    private final Callable<RecordingWriter> opener;
    private final long originNanos;
    private final AtomicLong backlog = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private final AtomicBoolean notifying = new AtomicBoolean();
    private Listener listener = IGNORE;
    private long sequence;
    private boolean closed;

    /** Touched on the writer thread only. */
    private RecordingWriter writer;
    /** Set on the writer thread; read anywhere. */
    private volatile IOException failure;

    /**
     * A tap whose file {@code opener} opens on {@code writerThread} before the first event; event times count
     * from {@code originNanos} ({@link System#nanoTime()}), the instant of the recording's
     * {@link dev.mproxy.record.SessionInfo#start()}.
     */
    public RecordingTap(String name, EventExecutor loop, EventExecutor writerThread,
            Callable<RecordingWriter> opener, long originNanos) {
        this.name = name;
        this.loop = loop;
        this.writerThread = writerThread;
        this.opener = opener;
        this.originNanos = originNanos;
    }

    /** Who hears of progress and failure from now on; call on the event loop. */
    public void listener(Listener listener) {
        this.listener = listener == null ? IGNORE : listener;
    }

    /** The client's connection was accepted. Returns the event's sequence number. */
    public long opened() {
        long micros = micros();
        return submit(0, () -> RecordedEvent.opened(micros));
    }

    /** {@code from} sent {@code content}; the tap keeps its own reference. Returns the sequence number. */
    public long data(Direction from, ByteBuf content) {
        long micros = micros();
        int length = content.readableBytes();
        ByteBuf bytes = content.retainedDuplicate();
        return submit(length, new Callable<RecordedEvent>() {
            @Override
            public RecordedEvent call() {
                try {
                    return RecordedEvent.data(from, micros, ByteBufUtil.getBytes(bytes));
                } finally {
                    bytes.release();
                }
            }
        });
    }

    /** {@code side} ended its output. Returns the sequence number. */
    public long ended(Direction side) {
        long micros = micros();
        return submit(0, () -> RecordedEvent.ended(side, micros));
    }

    /** {@code side} failed. Returns the sequence number. */
    public long failed(Direction side) {
        long micros = micros();
        return submit(0, () -> RecordedEvent.failed(side, micros));
    }

    /** The sequence number of the last event in the file; readable from any thread. */
    public long written() {
        return written.get();
    }

    /** Why the recording stopped, or null while it goes on; readable from any thread. */
    public IOException failure() {
        return failure;
    }

    /** Bytes of data events not yet in the file. */
    public long backlog() {
        return backlog.get();
    }

    /** Finishes the recording once every event before this call is written; the file is closed on all paths. */
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        writerThread.execute(() -> {
            try {
                if (writer != null) {
                    writer.close();
                }
            } catch (IOException e) {
                fail(e);
            }
        });
    }

    private long micros() {
        return Math.max(0, (System.nanoTime() - originNanos) / 1000);
    }

    private long submit(int length, Callable<RecordedEvent> event) {
        if (closed) {
            throw new IllegalStateException("recording " + name + " is closed");
        }
        long seq = ++sequence;
        backlog.addAndGet(length);
        writerThread.execute(() -> write(seq, length, event));
        return seq;
    }

    private void write(long seq, int length, Callable<RecordedEvent> event) {
        try {
            RecordedEvent e = event.call(); // always called: it releases the bytes it holds
            if (failure == null) {
                if (writer == null) {
                    writer = opener.call();
                }
                writer.write(e);
            }
        } catch (IOException e) {
            fail(e);
        } catch (Exception e) {
            fail(new IOException(e.getMessage() == null ? e.toString() : e.getMessage(), e));
        } finally {
            backlog.addAndGet(-length);
            if (failure == null) {
                written.set(seq);
                if (notifying.compareAndSet(false, true)) {
                    onLoop(() -> {
                        notifying.set(false); // before reading how far we got, so no progress goes unheard
                        listener.recorded();
                    });
                }
            }
        }
    }

    /** The first failure stops the recording; the file is closed, and the listener hears of it once. */
    private void fail(IOException cause) {
        if (failure != null) {
            return;
        }
        failure = cause;
        logger.warn("recording {} failed: {}", name, cause.getMessage());
        if (writer != null) {
            try {
                writer.close();
            } catch (IOException | RuntimeException suppressed) {
                cause.addSuppressed(suppressed);
            }
        }
        onLoop(() -> listener.failed(cause));
    }

    private void onLoop(Runnable task) {
        try {
            loop.execute(task);
        } catch (RejectedExecutionException stopped) {
            // the loop is shutting down and its channels are closed: nobody is left to tell
        }
    }

    @Override
    public String toString() {
        return "recording " + name;
    }
}
