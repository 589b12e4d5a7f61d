package dev.mproxy.relay;

import dev.mproxy.files.SecureFiles;
import dev.mproxy.record.Direction;
import dev.mproxy.record.RecordedEvent;
import dev.mproxy.record.RecordingWriter;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.Callable;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Hands one recording's events, in order, to its {@link RecordingWriter} on a writer thread, so the event loop
 * never waits for the disk. Each event gets a sequence number; the {@link Listener} hears on the event loop
 * how far the file has got, so a {@link Relay} forwards bytes only once they are recorded, and hears of the
 * first failure, after which nothing more is written.
 *
 * <p>Data is not copied: the tap keeps its own reference to the bytes and the writer hands their NIO buffers
 * to the file. The writer thread releases that reference once the record is written, or once it is known it
 * never will be (protocol-spec/recording.md 6.2).
 *
 * <p>Threads: events are given and the tap closed on the event loop (each such method asserts it), the writer
 * thread writes and releases, and {@link #written()}, {@link #backlog()} and {@link #failure()} are readable
 * from either.
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
    private final RecordingCounters counters;
    private final AtomicLong backlog = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private final AtomicBoolean notifying = new AtomicBoolean();
    private Listener listener = IGNORE;
    private long sequence;
    private boolean closed;

    /** Touched on the writer thread only. */
    private RecordingWriter writer;
    /** The first failure; set on the writer thread, or on the event loop when the writer thread is gone. */
    private final AtomicReference<IOException> failure = new AtomicReference<>();

    /**
     * A tap whose file {@code opener} opens on {@code writerThread} before the first event; event times count
     * from {@code originNanos} ({@link System#nanoTime()}), the instant of the recording's
     * {@link dev.mproxy.record.SessionInfo#start()}.
     */
    RecordingTap(String name, EventExecutor loop, EventExecutor writerThread,
            Callable<RecordingWriter> opener, long originNanos) {
        this(name, loop, writerThread, opener, originNanos, new RecordingCounters());
    }

    /** As above, counting what is written and whether it fails in {@code counters}, shared by a recorder's taps. */
    RecordingTap(String name, EventExecutor loop, EventExecutor writerThread,
            Callable<RecordingWriter> opener, long originNanos, RecordingCounters counters) {
        this.counters = counters;
        this.name = name;
        this.loop = loop;
        this.writerThread = writerThread;
        this.opener = opener;
        this.originNanos = originNanos;
    }

    /** Who hears of progress and failure from now on; call on the event loop. */
    public void listener(Listener listener) {
        assert inLoop() : "off the event loop: " + this;
        this.listener = listener == null ? IGNORE : listener;
    }

    /** The client's connection was accepted. Returns the event's sequence number. */
    public long opened() {
        assert inLoop() : "off the event loop: " + this;
        requireOpen();
        long micros = micros();
        return submit(0, out -> out.write(RecordedEvent.opened(micros)));
    }

    /** {@code from} sent {@code content}, binary data; see {@link #data(Direction, ByteBuf, boolean)}. */
    long data(Direction from, ByteBuf content) {
        return data(from, content, false);
    }

    /**
     * {@code from} sent {@code content}: a text message (a WebSocket text frame) when {@code text}, else binary
     * data. The tap takes its own reference to the bytes, without copying them, and the caller keeps its own.
     * No bytes, no record; the event still has its place in the order. Returns the sequence number.
     *
     * @throws IllegalStateException once the tap is closed; it then takes no reference
     */
    long data(Direction from, ByteBuf content, boolean text) {
        assert inLoop() : "off the event loop: " + this;
        requireOpen();
        long micros = micros();
        ByteBuffer[] views = ownViews(content);
        return submit(content.readableBytes(), new PendingData(from, micros, text, content.retain(), views));
    }

    /** {@code side} ended its output. Returns the sequence number. */
    long ended(Direction side) {
        assert inLoop() : "off the event loop: " + this;
        requireOpen();
        long micros = micros();
        return submit(0, out -> out.write(RecordedEvent.ended(side, micros)));
    }

    /** {@code side} failed. Returns the sequence number. */
    public long failed(Direction side) {
        assert inLoop() : "off the event loop: " + this;
        requireOpen();
        long micros = micros();
        return submit(0, out -> out.write(RecordedEvent.failed(side, micros)));
    }

    /** The sequence number of the last event in the file; readable from any thread. */
    long written() {
        return written.get();
    }

    /** Why the recording stopped, or null while it goes on; readable from any thread. */
    IOException failure() {
        return failure.get();
    }

    /** Bytes of data events not yet in the file. */
    long backlog() {
        return backlog.get();
    }

    /** Finishes the recording once every event before this call is written; the file is closed on all paths. */
    public void close() {
        assert inLoop() : "off the event loop: " + this;
        if (closed) {
            return;
        }
        closed = true;
        try {
            writerThread.execute(() -> {
                try {
                    if (writer != null) {
                        writer.close();
                    }
                } catch (IOException e) {
                    fail(e);
                }
            });
        } catch (RejectedExecutionException stopped) {
            logger.warn("recording {} is not finished: its writer thread has stopped", name);
        }
    }

    /** Whether the caller is on the event loop, where every method but the readable-anywhere ones is called. */
    boolean inLoop() {
        return loop.inEventLoop();
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("recording " + name + " is closed");
        }
    }

    private long micros() {
        return Math.max(0, (System.nanoTime() - originNanos) / 1000);
    }

    private long submit(int length, Pending event) {
        long seq = ++sequence;
        backlog.addAndGet(length);
        try {
            writerThread.execute(() -> write(seq, length, event));
        } catch (RejectedExecutionException stopped) {
            // The process is stopping: this event and any after it can never be recorded.
            backlog.addAndGet(-length);
            event.release();
            IOException cause = new IOException("its writer thread has stopped", stopped);
            if (failure.compareAndSet(null, cause)) {
                counters.failed();
                logger.warn("recording {} failed: {}", name, SecureFiles.reason(cause));
                onLoop(() -> listener.failed(cause));
            }
        }
        return seq;
    }

    private void write(long seq, int length, Pending event) {
        try {
            if (failure.get() == null) {
                if (writer == null) {
                    writer = opener.call();
                }
                event.writeTo(writer);
                counters.recorded(length);
            }
        } catch (IOException e) {
            fail(e);
        } catch (Exception e) {
            fail(new IOException(e.getMessage() == null ? e.toString() : e.getMessage(), e));
        } catch (Error e) {
            fail(new IOException(e.toString(), e)); // the event is not in the file: nothing after it may be
            throw e;
        } finally {
            event.release(); // written, failed, or skipped after a failure: the bytes are no longer needed
            backlog.addAndGet(-length);
            if (failure.get() == null) {
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
        if (!failure.compareAndSet(null, cause)) {
            return;
        }
        counters.failed();
        logger.warn("recording {} failed: {}", name, SecureFiles.reason(cause));
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

    /** An event on its way to the writer thread. */
    private interface Pending {
        void writeTo(RecordingWriter writer) throws IOException;

        /** Lets go of what the event holds; called once, whether or not it was written. */
        default void release() {
        }
    }

    /**
     * {@code bytes} as NIO buffers no one else has, made on the event loop. A ByteBuf may hand out a buffer object
     * it reuses (Netty 4.2's adaptive allocator shares one per memory chunk), so the writer thread must not ask it
     * for one: with the event loop moving that object's position, forwarded bytes came out wrong (RecordProxyTest,
     * about 1 run in 4). A duplicate has its own position and limit over the same memory, which stays put while
     * the tap holds its reference.
     */
    private static ByteBuffer[] ownViews(ByteBuf bytes) {
        ByteBuffer[] views = bytes.nioBuffers();
        for (int i = 0; i < views.length; i++) {
            views[i] = views[i].duplicate();
        }
        return views;
    }

    /** Data holding its own reference to the bytes until they are in the file. */
    private static final class PendingData implements Pending {
        private final Direction from;
        private final long micros;
        private final boolean text;
        private final ByteBuf bytes;
        private final ByteBuffer[] views;

        PendingData(Direction from, long micros, boolean text, ByteBuf bytes, ByteBuffer[] views) {
            this.from = from;
            this.micros = micros;
            this.text = text;
            this.bytes = bytes;
            this.views = views;
        }

        @Override
        public void writeTo(RecordingWriter writer) throws IOException {
            writer.writeData(from, micros, text, views);
        }

        @Override
        public void release() {
            bytes.release();
        }
    }

    @Override
    public String toString() {
        return "recording " + name;
    }
}
