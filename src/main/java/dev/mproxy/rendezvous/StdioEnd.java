package dev.mproxy.rendezvous;

import dev.mproxy.relay.Relay;
import dev.mproxy.relay.RelayEnd;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Standard input and output as a relay endpoint ({@code mproxy relay --stdio}). Streams block, so each has a
 * thread of its own and the event loop never waits for them: a reader thread reads input while the relay
 * reads, one chunk at a time, and a writer thread writes what the relay forwards, its backlog bounded by water
 * marks like a channel's. Every report to the relay goes through the loop.
 */
final class StdioEnd implements RelayEnd {

    /** One read, one WebSocket frame: Netty's largest socket read too. */
    private static final int CHUNK = 64 * 1024;
    /** Above this many bytes not yet written, the relay stops reading the other side (Netty's default). */
    private static final long HIGH_WATER_MARK = 64 * 1024;
    /** It reads again once the backlog is under this. */
    private static final long LOW_WATER_MARK = 32 * 1024;

    private final InputStream in;
    private final OutputStream out;
    private final EventLoop loop;
    private final ExecutorService writer = Executors.newSingleThreadExecutor(
            new DefaultThreadFactory("mproxy-stdout", true));
    private final AtomicLong backlog = new AtomicLong();
    private final CompletableFuture<Void> outputClosed = new CompletableFuture<>();
    private final Object gate = new Object();
    /** Guarded by {@link #gate}: whether the reader thread may read. */
    private boolean reading;
    /**
     * Guarded by {@link #gate}: the loop has not taken the last chunk read yet. The reader waits for it, so a
     * busy loop gets one chunk, not every chunk the input holds before the relay can stop reading.
     */
    private boolean chunkInFlight;
    /** Guarded by {@link #gate}: the relay is done with this end. */
    private boolean stopped;
    /** Set on the loop; read by the writer thread: drop what is not written yet. */
    private volatile boolean aborted;
    /** On the loop only. */
    private boolean writable = true;
    private boolean outputEnded;
    private Relay.Side side;

    StdioEnd(InputStream in, OutputStream out, EventLoop loop) {
        this.in = in;
        this.out = out;
        this.loop = loop;
    }

    /** Completes once the output is closed, everything before it written (or dropped by an abort). */
    CompletableFuture<Void> outputClosed() {
        return outputClosed;
    }

    @Override
    public EventExecutor executor() {
        return loop;
    }

    @Override
    public void bind(Relay.Side side) {
        assert loop.inEventLoop() : this + ": called off its event loop";
        this.side = side;
        Thread reader = new DefaultThreadFactory("mproxy-stdin", true).newThread(this::readInput);
        reader.start();
    }

    @Override
    public void write(Object message) {
        assert loop.inEventLoop() : this + ": called off its event loop";
        ByteBuf bytes = (ByteBuf) message; // behind the client's frame codec, the WebSocket end forwards bytes
        int length = bytes.readableBytes();
        backlog.addAndGet(length);
        onWriter(() -> {
            try {
                if (!aborted) {
                    bytes.getBytes(bytes.readerIndex(), out, length);
                }
            } catch (IOException e) {
                aborted = true; // the reader of our output is gone: nothing more can go out
                onLoop(() -> side.failed(e));
            } finally {
                bytes.release();
                long left = backlog.addAndGet(-length);
                if (left < LOW_WATER_MARK && left + length >= LOW_WATER_MARK) {
                    onLoop(side::writabilityChanged);
                }
            }
        }, bytes);
    }

    @Override
    public void flush() {
        assert loop.inEventLoop() : this + ": called off its event loop";
        onWriter(() -> {
            try {
                if (!aborted) {
                    out.flush();
                }
            } catch (IOException e) {
                aborted = true;
                onLoop(() -> side.failed(e));
            }
        }, null);
    }

    @Override
    public boolean isWritable() {
        assert loop.inEventLoop() : this + ": called off its event loop";
        long pending = backlog.get();
        if (writable && pending > HIGH_WATER_MARK) {
            writable = false;
        } else if (!writable && pending < LOW_WATER_MARK) {
            writable = true;
        }
        return writable;
    }

    @Override
    public void setReading(boolean reading) {
        assert loop.inEventLoop() : this + ": called off its event loop";
        synchronized (gate) {
            this.reading = reading;
            gate.notifyAll();
        }
    }

    @Override
    public void shutdownOutput() {
        assert loop.inEventLoop() : this + ": called off its event loop";
        if (outputEnded) {
            return;
        }
        outputEnded = true;
        onWriter(this::closeOutput, null);
        writer.shutdown(); // runs what is queued, then its thread ends
    }

    @Override
    public void close() {
        assert loop.inEventLoop() : this + ": called off its event loop";
        stopReading();
        shutdownOutput();
    }

    @Override
    public void abort() {
        assert loop.inEventLoop() : this + ": called off its event loop";
        aborted = true;
        close();
    }

    private void closeOutput() {
        try {
            out.close();
        } catch (IOException e) {
            // closing is all that is left to do with it
        } finally {
            outputClosed.complete(null);
        }
    }

    private void stopReading() {
        synchronized (gate) {
            stopped = true;
            gate.notifyAll();
        }
    }

    /** The reader thread: reads while the relay reads, hands each chunk to the loop and waits until it took it. */
    private void readInput() {
        byte[] chunk = new byte[CHUNK];
        try {
            while (awaitReading()) {
                int n = in.read(chunk);
                if (n < 0) {
                    onLoop(side::inputEnded);
                    return;
                }
                ByteBuf bytes = ByteBufAllocator.DEFAULT.buffer(n).writeBytes(chunk, 0, n);
                synchronized (gate) {
                    chunkInFlight = true;
                }
                if (!onLoop(() -> {
                    try {
                        side.read(bytes);
                        side.readComplete();
                    } finally {
                        tookChunk(); // once the relay has said whether it reads on
                    }
                }, bytes)) {
                    return; // the loop has stopped
                }
            }
        } catch (IOException e) {
            onLoop(() -> side.failed(e));
        }
    }

    private void tookChunk() {
        synchronized (gate) {
            chunkInFlight = false;
            gate.notifyAll();
        }
    }

    private boolean awaitReading() {
        synchronized (gate) {
            while ((!reading || chunkInFlight) && !stopped) {
                try {
                    gate.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return !stopped;
        }
    }

    private void onLoop(Runnable task) {
        onLoop(task, null);
    }

    /**
     * Runs {@code task} on the loop; false if the loop has stopped, having released what the task would have
     * taken.
     */
    private boolean onLoop(Runnable task, Object owned) {
        try {
            loop.execute(task);
            return true;
        } catch (RejectedExecutionException stopping) {
            ReferenceCountUtil.release(owned);
            return false;
        }
    }

    private void onWriter(Runnable task, Object owned) {
        try {
            writer.execute(task);
        } catch (RejectedExecutionException outputClosedAlready) {
            if (owned instanceof ByteBuf) {
                backlog.addAndGet(-((ByteBuf) owned).readableBytes());
            }
            ReferenceCountUtil.release(owned);
        }
    }

    @Override
    public String toString() {
        return "stdin/stdout";
    }
}
