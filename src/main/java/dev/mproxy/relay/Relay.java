package dev.mproxy.relay;

import dev.mproxy.files.SecureFiles;
import dev.mproxy.record.Direction;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import java.io.IOException;
import java.util.ArrayDeque;

/**
 * Joins a client endpoint and a server endpoint on one event loop: what one reads, the other writes, in order.
 * Flow control by water marks: an endpoint reads only while the other can take more and, when recording,
 * while the recording keeps up. One side's end (FIN) ends the other's output and nothing else, so each
 * direction finishes on its own; a side that fails or closes early resets the other. With a
 * {@link RecordingTap}, every event goes to the recording first and reaches the other side only once it is
 * in the file: a recording that fails closes both sides, and nothing unrecorded is forwarded
 * (protocol-spec/recording.md §6).
 *
 * <p>Everything runs on the endpoints' one event loop: the relay, its {@link Side}s and its tap's listener
 * check it ({@code assert}), so that a report from another thread fails in tests instead of racing.
 */
public final class Relay {

    private static final InternalLogger logger = InternalLoggerFactory.getInstance(Relay.class);

    /** How a side's input ended, as far as the relay saw. */
    public enum Ending {
        /** Still open when the relay finished (the other side failed). */
        OPEN,
        /** Its input ended cleanly (FIN). */
        ENDED,
        /** It closed before ending, was reset, or raised an error. */
        FAILED
    }

    /** Hears, once, that the relay finished; on the event loop. */
    public interface Listener {
        void finished(Relay relay);
    }

    private final EventExecutor loop;
    private final Side client;
    private final Side server;
    private final RecordingTap tap;
    private final Listener listener;
    private final long startNanos = System.nanoTime();
    /** Actions waiting for their event to be recorded, oldest first; empty without a tap (so sized to grow). */
    private final ArrayDeque<Action> unrecorded = new ArrayDeque<>(0);
    private boolean recordingBehind;
    /** The recording got its last event: both ends, or a failure. */
    private boolean recordingClosed;
    private boolean finished;
    private String failure;
    private long durationNanos;

    private Relay(RelayEnd client, RelayEnd server, RecordingTap tap, Listener listener) {
        this.loop = client.executor();
        this.client = new Side(Direction.FROM_CLIENT, client);
        this.server = new Side(Direction.FROM_SERVER, server);
        this.client.other = this.server;
        this.server.other = this.client;
        this.tap = tap;
        this.listener = listener;
    }

    /**
     * Joins {@code client} and {@code server} and starts reading both; call on their event loop. {@code tap},
     * if not null, records every event before it is forwarded; the relay closes it when done.
     */
    public static Relay join(RelayEnd client, RelayEnd server, RecordingTap tap, Listener listener) {
        assert client.executor().inEventLoop() && server.executor().inEventLoop()
                : "join off the endpoints' event loop: " + client + ", " + server;
        assert tap == null || tap.inLoop() : "join off the event loop of " + tap;
        Relay relay = new Relay(client, server, tap, listener);
        if (tap != null) {
            tap.listener(relay.new TapListener());
        }
        relay.client.end.bind(relay.client);
        relay.server.end.bind(relay.server);
        if (tap != null && tap.failure() != null) {
            relay.recordingFailed(tap.failure()); // failed before the join: its listener was not ours
        } else {
            relay.updateReading();
        }
        return relay;
    }

    /** Bytes read from {@code side} and forwarded (or, when the relay failed, at least recorded). */
    public long bytesFrom(Direction side) {
        return side(side).bytes;
    }

    /** How {@code side}'s input ended. */
    public Ending ending(Direction side) {
        return side(side).ending;
    }

    /** Why the relay failed, or null if both sides ended cleanly (or it is still running). */
    public String failure() {
        return failure;
    }

    /** How long the relay ran; zero while it runs. */
    public long durationNanos() {
        return durationNanos;
    }

    private Side side(Direction direction) {
        return direction == Direction.FROM_CLIENT ? client : server;
    }

    // ---- events, recorded first when there is a tap ---------------------------------------------------

    private void forward(Side from, Object message) {
        ByteBuf content = message instanceof ByteBufHolder ? ((ByteBufHolder) message).content() : (ByteBuf) message;
        if (recordingClosed) {
            ReferenceCountUtil.release(message); // a side failed: the relay is closing, nothing more goes across
            return;
        }
        from.bytes += content.readableBytes();
        if (tap == null) {
            from.other.end.write(message);
            return;
        }
        unrecorded.add(new Forward(tap.data(from.direction, content, from.end.isText(message)), from, message));
        if (!recordingBehind && tap.backlog() > RecordingTap.HIGH_WATER_MARK) {
            recordingBehind = true;
            updateReading();
        }
    }

    private void endInput(Side from) {
        from.ending = Ending.ENDED;
        from.updateReading();
        if (tap == null) {
            deliverEnd(from);
        } else if (!recordingClosed) {
            unrecorded.add(new DeliverEnd(tap.ended(from.direction), from));
            if (from.other.ending == Ending.ENDED) {
                closeRecording(); // both ends are in: nothing more can come
            }
        }
    }

    private void failSide(Side from, String why) {
        if (from.ending == Ending.FAILED) {
            return;
        }
        from.ending = Ending.FAILED;
        from.updateReading();
        if (tap == null) {
            deliverFailure(from, why);
        } else if (!recordingClosed) {
            unrecorded.add(new DeliverFailure(tap.failed(from.direction), from, why));
            closeRecording(); // the relay resets both sides once this is recorded: nothing more is
        }
    }

    /** Runs the actions whose events are in the file, in order. */
    private void recorded() {
        long written = tap.written();
        Action action;
        while ((action = unrecorded.peek()) != null && action.sequence <= written) {
            unrecorded.poll();
            action.run();
        }
        client.flushIfPending();
        server.flushIfPending();
        if (recordingBehind && tap.backlog() < RecordingTap.LOW_WATER_MARK) {
            recordingBehind = false;
        }
        updateReading();
    }

    private void recordingFailed(IOException cause) {
        if (finished) {
            return;
        }
        failure = "recording failed: " + SecureFiles.reason(cause);
        releaseUnrecorded();
        client.end.abort();
        server.end.abort();
        finish();
    }

    private void deliverEnd(Side from) {
        if (finished) {
            return;
        }
        from.endDelivered = true;
        from.other.end.shutdownOutput();
        if (client.endDelivered && server.endDelivered) {
            client.end.close();
            server.end.close();
            finish();
        }
    }

    private void deliverFailure(Side from, String why) {
        if (finished) {
            return;
        }
        failure = from.direction == Direction.FROM_CLIENT ? "client " + why : "server " + why;
        from.end.abort();
        from.other.end.abort();
        finish();
    }

    private void finish() {
        if (finished) {
            return;
        }
        finished = true;
        durationNanos = System.nanoTime() - startNanos;
        closeRecording();
        if (listener != null) {
            listener.finished(this);
        }
    }

    /**
     * Lets the tap finish its file once the events so far are written. Done as soon as the last event is
     * known, not when it is delivered, so the file is finished even if the event loop stops first.
     */
    private void closeRecording() {
        if (tap != null && !recordingClosed) {
            recordingClosed = true;
            tap.close();
        }
    }

    private void releaseUnrecorded() {
        Action action;
        while ((action = unrecorded.poll()) != null) {
            action.discard();
        }
    }

    private void updateReading() {
        client.updateReading();
        server.updateReading();
    }

    // ---- one side -------------------------------------------------------------------------------------

    /** What one endpoint reports to the relay; call on the relay's event loop. */
    public final class Side {
        private final Direction direction;
        private final RelayEnd end;
        private Side other;
        private long bytes;
        /** How its input ended: set when the relay learns of it, before the event is recorded. */
        private Ending ending = Ending.OPEN;
        /** Its end was carried to the other side: everything it sent before is forwarded. */
        private boolean endDelivered;
        private boolean reading;
        private boolean flushPending;

        private Side(Direction direction, RelayEnd end) {
            this.direction = direction;
            this.end = end;
        }

        /** The endpoint read {@code message}; the relay owns it now. */
        public void read(Object message) {
            assert loop.inEventLoop() : "off the relay's event loop: " + end;
            if (finished || ending != Ending.OPEN) {
                ReferenceCountUtil.release(message);
                return;
            }
            forward(this, message);
        }

        /** The endpoint's read burst is over: what it forwarded can go out. */
        public void readComplete() {
            assert loop.inEventLoop() : "off the relay's event loop: " + end;
            if (tap == null && !finished) {
                other.end.flush();
            }
            updateReading(); // the writes may have filled the other endpoint
        }

        /** The endpoint's input ended cleanly. */
        public void inputEnded() {
            assert loop.inEventLoop() : "off the relay's event loop: " + end;
            if (!finished && ending == Ending.OPEN) {
                endInput(this);
            }
        }

        /** The endpoint's writability changed: the other side may read again, or must stop. */
        public void writabilityChanged() {
            assert loop.inEventLoop() : "off the relay's event loop: " + end;
            other.updateReading();
        }

        /** The endpoint closed; before both sides ended, that is a failure. */
        public void closed() {
            assert loop.inEventLoop() : "off the relay's event loop: " + end;
            if (!finished) {
                failSide(this, "closed before the relay finished");
            }
        }

        /** The endpoint failed. */
        public void failed(Throwable cause) {
            assert loop.inEventLoop() : "off the relay's event loop: " + end;
            logger.debug("{}: {} failed", end, direction, cause);
            if (!finished) {
                failSide(this, "failed: " + (cause.getMessage() == null ? cause.getClass().getSimpleName()
                        : cause.getMessage()));
            }
        }

        private void updateReading() {
            boolean should = !finished && ending == Ending.OPEN && other.end.isWritable() && !recordingBehind;
            if (should != reading) {
                reading = should;
                end.setReading(should);
            }
        }

        private void flushIfPending() {
            if (flushPending) {
                flushPending = false;
                end.flush();
            }
        }
    }

    /** Something to do once its event, number {@code sequence} of the recording, is in the file. */
    private abstract static class Action {
        final long sequence;
        final Side from;

        Action(long sequence, Side from) {
            this.sequence = sequence;
            this.from = from;
        }

        /** The event is in the file. */
        abstract void run();

        /** The event will never be in the file: lets go of what the action holds. */
        void discard() {
        }
    }

    /** Forwards a message {@code from} read to the other side. */
    private final class Forward extends Action {
        private final Object message;

        Forward(long sequence, Side from, Object message) {
            super(sequence, from);
            this.message = message;
        }

        @Override
        void run() {
            if (finished) {
                ReferenceCountUtil.release(message);
                return;
            }
            from.other.end.write(message);
            from.other.flushPending = true;
        }

        @Override
        void discard() {
            ReferenceCountUtil.release(message);
        }
    }

    /** Carries {@code from}'s end to the other side. */
    private final class DeliverEnd extends Action {
        DeliverEnd(long sequence, Side from) {
            super(sequence, from);
        }

        @Override
        void run() {
            deliverEnd(from);
        }
    }

    /** Resets both sides for {@code from}'s failure. */
    private final class DeliverFailure extends Action {
        private final String why;

        DeliverFailure(long sequence, Side from, String why) {
            super(sequence, from);
            this.why = why;
        }

        @Override
        void run() {
            deliverFailure(from, why);
        }
    }

    private final class TapListener implements RecordingTap.Listener {
        @Override
        public void recorded() {
            assert loop.inEventLoop() : "recording progress off the relay's event loop";
            Relay.this.recorded();
        }

        @Override
        public void failed(IOException cause) {
            assert loop.inEventLoop() : "recording failure off the relay's event loop";
            recordingFailed(cause);
        }
    }
}
