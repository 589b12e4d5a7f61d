package dev.mproxy.tunnel;

import dev.mproxy.protocol.MproxyMessage;
import dev.mproxy.protocol.StreamAddress;
import dev.mproxy.relay.Relay;
import dev.mproxy.relay.RelayEnd;
import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import java.time.Instant;
import java.util.ArrayDeque;

/**
 * One stream: its state, and its end of the {@link Relay} that joins it to its socket. Touched only on its
 * tunnel's event loop, which is also its socket's (streams 4.2.1).
 *
 * <p>Its state is three small machines (protocol-spec/streams.md §3, drawn there): its {@link Lifecycle} in the
 * tunnel's table, and each direction on its own: {@link Inbound}, what the peer sends us, and {@link Outbound},
 * what we send the peer. A stream is gone when both directions have ended or on {@code error} or reset.
 * Transitions only our own code can ask for at the wrong time throw {@link IllegalStateException} naming the
 * state and the event; what the peer does wrong is a {@link StreamException} for its {@code error}.
 *
 * <p>As a relay end: writing sends {@code data}, ending the output sends {@code end}, and stopping reading sends
 * {@code pause} ({@code resume} to start again), since the peer is what this end reads. The end is writable while
 * the tunnel is and the peer has not paused the stream.
 */
final class TunnelStream implements RelayEnd {

    /** Where the stream is in the tunnel's table. */
    enum Lifecycle {
        /**
         * In the table, waiting for its relay: the device is connecting the local socket, or the gateway is moving
         * the public one to the tunnel's loop. What the peer sends meanwhile is held.
         */
        WAITING,
        /** In the table and joined to its socket by its relay. */
        JOINED,
        /** Out of the table: finished or failed. Late events are ignored, and nothing more is sent. */
        CLOSED
    }

    /** The direction the peer sends us. */
    enum Inbound {
        /** Data may come. */
        OPEN,
        /** We sent {@code pause}: what still comes counts against the hard cap (streams 4.2). */
        PAUSED,
        /** The peer sent {@code end}: no data may follow, and no {@code pause} or {@code resume} goes out for it. */
        ENDED
    }

    /** The direction we send the peer. */
    enum Outbound {
        /** We may send. */
        OPEN,
        /** The peer sent {@code pause}: its socket is not read until the peer's {@code resume}. */
        PAUSED,
        /** We sent {@code end}: nothing more goes out. */
        ENDED,
        /**
         * The peer forgot the stream: its {@code error} came after its {@code end} (streams 3.6). Nothing more goes
         * out for the stream, not even {@code end} or {@code error}; what the socket still sends is read and
         * dropped, since the peer would drop it too.
         */
        FORGOTTEN
    }

    final StreamRequest request;
    final StreamKind kind;
    private final TunnelHandler tunnel;
    private final TunnelLimits limits;
    private final TunnelMeter meter;
    /** When the stream was opened, for the admin API. */
    private final long openedMillis = System.currentTimeMillis();
    private Lifecycle lifecycle = Lifecycle.WAITING;
    private Inbound inbound = Inbound.OPEN;
    private Outbound outbound = Outbound.OPEN;
    /** How the stream reports to its relay; null until the relay binds it. */
    private Relay.Side side;
    /** The relay joining this stream to its socket; null until joined. */
    private Relay relay;
    /**
     * Data from the peer that arrived before the relay was joined (the device was still connecting). Sized to
     * grow from nothing: most streams never hold any, and an idle stream should cost little (bench/run-idle.sh).
     */
    private final ArrayDeque<ByteBuf> pending = new ArrayDeque<>(0);
    private long pendingBytes;
    /** Bytes received from the peer for this stream; the body of our {@code pause} and {@code resume}. */
    private long received;
    /** Bytes received since we sent {@code pause}; past the hard cap the peer ignored it (streams 4.2). */
    private long receivedWhilePaused;
    /** Bytes sent to the peer. */
    private long sent;
    /** When the peer's {@code pause} came ({@link System#nanoTime()}), while it holds. */
    private long pausedByPeerSince;
    /** Data reached the relay in the tunnel's current read burst: it hears when the burst is over. */
    private boolean flushAtBurstEnd;

    TunnelStream(StreamRequest request, TunnelHandler tunnel, TunnelLimits limits, TunnelMeter meter) {
        this.request = request;
        this.kind = StreamKind.ofService(request.service());
        this.tunnel = tunnel;
        this.limits = limits;
        this.meter = meter;
    }

    /** This stream as it is now; on the tunnel's event loop. */
    StreamSnapshot snapshot() {
        return new StreamSnapshot(request, kind, Instant.ofEpochMilli(openedMillis), sent, received,
                outbound == Outbound.PAUSED, inbound == Inbound.PAUSED);
    }

    StreamAddress id() {
        return request.client();
    }

    boolean isClosed() {
        return lifecycle == Lifecycle.CLOSED;
    }

    /** Whether the peer forgot the stream (streams 3.6): nothing is sent for it any more. */
    boolean isForgotten() {
        return outbound == Outbound.FORGOTTEN;
    }

    /** Why the relay failed, for the {@code error} we send; null if it did not (or is not joined). */
    String relayFailure() {
        return relay == null ? null : relay.failure();
    }

    // ---- lifecycle -------------------------------------------------------------------------------------

    /** The relay is joined: delivers what the peer sent meanwhile, and its {@code end}. */
    void joined(Relay relay) {
        this.relay = relay;
        if (lifecycle == Lifecycle.CLOSED) {
            releasePending(); // failed while joining: its recording could not start
            return;
        }
        expect(lifecycle == Lifecycle.WAITING, "relay joined", lifecycle, Lifecycle.WAITING);
        lifecycle = Lifecycle.JOINED;
        ByteBuf body;
        while ((body = pending.poll()) != null) {
            side.read(body);
        }
        pendingBytes = 0;
        side.readComplete();
        if (inbound == Inbound.ENDED) {
            side.inputEnded();
        }
    }

    /** Takes the stream out of the table's life; false if it was out already. Only the table calls this. */
    boolean removed() {
        if (lifecycle == Lifecycle.CLOSED) {
            return false;
        }
        lifecycle = Lifecycle.CLOSED;
        endPausedByPeer();
        return true;
    }

    /**
     * The stream failed on the tunnel's side (the peer's {@code error}, a broken rule, the tunnel closing): it is
     * already out of the table, and the relay resets the socket.
     */
    void failed(Throwable cause) {
        expect(lifecycle == Lifecycle.CLOSED, "failure", lifecycle, Lifecycle.CLOSED);
        releasePending();
        if (side != null) {
            side.failed(cause);
        }
    }

    void releasePending() {
        ByteBuf body;
        while ((body = pending.poll()) != null) {
            body.release();
        }
        pendingBytes = 0;
    }

    // ---- from the peer ------------------------------------------------------------------------------------

    /**
     * Data from the peer; the stream retains {@code body} if it keeps it. Counted for {@code pause} and
     * {@code resume}, held while the stream waits for its relay, handed to the relay once joined. Returns true
     * when this is the stream's first data of the tunnel's read burst: call {@link #burstComplete()} at its end.
     *
     * @throws StreamException the peer broke a rule: data after its {@code end}, or past the cap after our
     *         {@code pause} (streams 4.2); the stream must fail with this {@code error}
     */
    boolean received(ByteBuf body) throws StreamException {
        count(body.readableBytes());
        if (lifecycle == Lifecycle.WAITING) {
            hold(body.retain());
            return false;
        }
        expect(lifecycle == Lifecycle.JOINED, "data", lifecycle, Lifecycle.JOINED);
        side.read(body.retain());
        boolean first = !flushAtBurstEnd;
        flushAtBurstEnd = true;
        return first;
    }

    private void count(int length) throws StreamException {
        if (inbound == Inbound.ENDED) {
            throw new StreamException(StreamErrors.PROTOCOL, "data after end");
        }
        received += length;
        meter.receivedFromPeer(kind, length);
        if (inbound == Inbound.PAUSED) {
            receivedWhilePaused += length;
            if (receivedWhilePaused > limits.pauseIgnoredLimit()) {
                throw new StreamException(StreamErrors.PAUSE_IGNORED, "peer kept sending after pause: "
                        + receivedWhilePaused + " bytes since (limit: " + limits.pauseIgnoredLimit() + ')');
            }
        }
    }

    /** Still connecting: past the high water mark the peer waits, as it would for a slow socket (streams 4.1). */
    private void hold(ByteBuf body) {
        pending.add(body);
        pendingBytes += body.readableBytes();
        if (pendingBytes > limits.streamWaterMark().high()) {
            pausePeer();
        }
    }

    /** The tunnel's read burst is over: what it brought for this stream can go out. */
    void burstComplete() {
        if (flushAtBurstEnd) {
            flushAtBurstEnd = false;
            side.readComplete();
        }
    }

    /** The peer's {@code end}: no more data comes. A second one changes nothing. */
    void peerEnded() {
        if (inbound == Inbound.ENDED) {
            return;
        }
        inbound = Inbound.ENDED;
        if (lifecycle == Lifecycle.JOINED) {
            side.inputEnded();
        }
    }

    /**
     * The peer's {@code error} after its own {@code end} (streams 3.6): the peer has forgotten the stream, so
     * nothing more goes out for it, and what it sent is delivered as for its {@code end} alone. Returns false, and
     * changes nothing, while the peer's direction is open: then the error is a reset (streams 3.3).
     */
    boolean forgottenByPeer() {
        if (inbound != Inbound.ENDED) {
            return false;
        }
        outbound = Outbound.FORGOTTEN;
        writabilityChanged(); // the socket is read again, to be drained, whatever the tunnel's writability
        return true;
    }

    /** The peer's {@code pause} ({@code paused}) or {@code resume}; after our {@code end} there is nothing to hold. */
    void peerPaused(boolean paused) {
        if (outbound == Outbound.ENDED || outbound == Outbound.FORGOTTEN) {
            return;
        }
        if (paused && outbound != Outbound.PAUSED) {
            pausedByPeerSince = System.nanoTime();
            meter.paused(true);
        } else if (!paused) {
            endPausedByPeer();
        }
        outbound = paused ? Outbound.PAUSED : Outbound.OPEN;
        writabilityChanged();
    }

    /** The peer's {@code pause} or {@code resume}, or the tunnel's writability, changed whether we may send. */
    void writabilityChanged() {
        if (lifecycle == Lifecycle.JOINED) {
            side.writabilityChanged();
        }
    }

    // ---- as a relay end -----------------------------------------------------------------------------------

    @Override
    public EventExecutor executor() {
        return tunnel.executor();
    }

    @Override
    public void bind(Relay.Side side) {
        assert inLoop() : this + ": called off its event loop";
        expect(lifecycle == Lifecycle.WAITING, "relay bound", lifecycle, Lifecycle.WAITING);
        if (this.side != null) {
            throw new IllegalStateException(this + ": relay bound twice");
        }
        this.side = side;
    }

    @Override
    public void write(Object message) {
        assert inLoop() : this + ": called off its event loop";
        if (lifecycle == Lifecycle.CLOSED || outbound == Outbound.FORGOTTEN) {
            ReferenceCountUtil.release(message); // nobody left to send it to
            return;
        }
        if (outbound == Outbound.ENDED) {
            ReferenceCountUtil.release(message);
            throw illegal("data to send", outbound, "OPEN or PAUSED");
        }
        ByteBuf body = (ByteBuf) message;
        int length = body.readableBytes();
        sent += length;
        meter.sentToPeer(kind, length);
        tunnel.write(data(body));
    }

    /** The peer's hold on our sending ended (its {@code resume}, or the stream's end): how long it lasted counts. */
    private void endPausedByPeer() {
        if (outbound == Outbound.PAUSED) {
            meter.pausedFor(System.nanoTime() - pausedByPeerSince);
        }
    }

    @Override
    public void flush() {
        assert inLoop() : this + ": called off its event loop";
        if (outbound != Outbound.FORGOTTEN) {
            tunnel.flush();
        }
    }

    /** Not while the peer paused us, nor while the tunnel is full; always once forgotten, to drain the socket. */
    @Override
    public boolean isWritable() {
        assert inLoop() : this + ": called off its event loop";
        switch (outbound) {
            case PAUSED:
                return false;
            case FORGOTTEN:
                return true;
            default:
                return tunnel.isWritable();
        }
    }

    @Override
    public void setReading(boolean reading) {
        assert inLoop() : this + ": called off its event loop";
        if (lifecycle == Lifecycle.CLOSED || inbound == Inbound.ENDED) {
            return; // nothing more will come: no pause or resume for it
        }
        if (reading) {
            resumePeer();
        } else {
            pausePeer();
        }
    }

    private void pausePeer() {
        if (inbound == Inbound.OPEN) {
            inbound = Inbound.PAUSED;
            receivedWhilePaused = 0;
            meter.paused(false);
            tunnel.writeAndFlush(MproxyMessage.pause(id(), request.servicePort(), request.name(), received));
        }
    }

    private void resumePeer() {
        if (inbound == Inbound.PAUSED) {
            inbound = Inbound.OPEN;
            tunnel.writeAndFlush(MproxyMessage.resume(id(), request.servicePort(), request.name(), received));
        }
    }

    @Override
    public void shutdownOutput() {
        assert inLoop() : this + ": called off its event loop";
        if (lifecycle == Lifecycle.CLOSED || outbound == Outbound.FORGOTTEN) {
            return; // the socket's end: no end for a peer that forgot the stream
        }
        if (outbound == Outbound.ENDED) {
            throw illegal("end to send", outbound, "OPEN or PAUSED");
        }
        outbound = Outbound.ENDED;
        tunnel.writeAndFlush(MproxyMessage.end(id(), request.servicePort(), request.name()));
    }

    /** Both directions ended: the stream is done, and each side has sent its {@code end}. */
    @Override
    public void close() {
        assert inLoop() : this + ": called off its event loop";
        tunnel.remove(this);
    }

    /**
     * The socket's side failed or the recording did: the peer gets {@code error} with the relay's reason, unless it
     * forgot the stream.
     */
    @Override
    public void abort() {
        assert inLoop() : this + ": called off its event loop";
        if (lifecycle != Lifecycle.CLOSED) {
            tunnel.remove(this);
            if (outbound == Outbound.FORGOTTEN) {
                return;
            }
            String why = relayFailure();
            tunnel.sendError(request, StreamErrors.CONNECTION_RESET,
                    why == null ? "connection closed before the stream ended" : why);
        }
    }

    MproxyMessage data(ByteBuf body) {
        StreamRequest r = request;
        return MproxyMessage.data(r.client(), r.service(), r.servicePort(), r.name(), body);
    }

    private boolean inLoop() {
        return tunnel.executor().inEventLoop();
    }

    private void expect(boolean legal, String event, Enum<?> state, Enum<?> expected) {
        if (!legal) {
            throw illegal(event, state, expected.name());
        }
    }

    private IllegalStateException illegal(String event, Enum<?> state, String expected) {
        return new IllegalStateException(this + ": " + event + " in state " + state + " (expected: " + expected
                + ')');
    }

    @Override
    public String toString() {
        return "stream " + request;
    }
}
