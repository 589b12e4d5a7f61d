package dev.mproxy.tunnel;

import dev.mproxy.protocol.MproxyMessage;
import dev.mproxy.protocol.StreamAddress;
import dev.mproxy.relay.Relay;
import dev.mproxy.relay.RelayEnd;
import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * One stream: its state, and its end of the {@link Relay} that joins it to its socket. Touched only on its
 * tunnel's event loop, which is also its socket's. A stream is gone when both directions have ended ({@code end}
 * each way) or on {@code error} or reset (protocol-spec/streams.md §3).
 *
 * <p>As a relay end: writing sends {@code data}, ending the output sends {@code end}, and stopping reading sends
 * {@code pause} ({@code resume} to start again), since the peer is what this end reads. The end is writable while
 * the tunnel is and the peer has not paused the stream.
 */
final class TunnelStream implements RelayEnd {

    final StreamRequest request;
    private final TunnelHandler tunnel;
    /** How the stream reports to its relay; null until the relay is joined. */
    private Relay.Side side;
    /** The relay joining this stream to its socket; null until joined. */
    Relay relay;
    /** Data from the peer that arrived before the relay was joined (the device was still connecting). */
    private final ArrayDeque<ByteBuf> pending = new ArrayDeque<>();
    private long pendingBytes;

    /** Bytes received from the peer for this stream; the body of our {@code pause} and {@code resume}. */
    long received;
    /** Bytes received since we sent {@code pause}; past the hard cap the peer ignored it. */
    long receivedWhilePaused;
    /** The peer sent {@code end}: no more data will come from it. */
    boolean peerEnded;
    /** We sent {@code end}. */
    private boolean ended;
    /** The peer asked us to stop reading this stream's socket. */
    boolean pausedByPeer;
    /** We asked the peer to stop sending. */
    boolean pausedPeer;
    /** Data arrived from the peer in the tunnel's current read burst; the relay hears of its end. */
    boolean readInBurst;
    /** Removed from the table; late events are ignored. */
    boolean closed;

    TunnelStream(StreamRequest request, TunnelHandler tunnel) {
        this.request = request;
        this.tunnel = tunnel;
    }

    StreamAddress id() {
        return request.client();
    }

    // ---- from the peer ------------------------------------------------------------------------------------

    /** Data from the peer; takes ownership of {@code body}. Queued until the relay is joined. */
    void received(ByteBuf body) {
        if (side == null) {
            pending.add(body);
            pendingBytes += body.readableBytes();
        } else {
            side.read(body);
            readInBurst = true;
        }
    }

    /** Bytes from the peer queued before the relay was joined. */
    long pendingBytes() {
        return pendingBytes;
    }

    /** The tunnel's read burst is over: what it brought for this stream can go out. */
    void burstComplete() {
        if (readInBurst) {
            readInBurst = false;
            side.readComplete();
        }
    }

    void peerEnded() {
        peerEnded = true;
        if (side != null) {
            side.inputEnded();
        }
    }

    /** The peer's {@code pause} or {@code resume}, or the tunnel's writability, changed whether we may send. */
    void writabilityChanged() {
        if (side != null) {
            side.writabilityChanged();
        }
    }

    /**
     * The stream failed on the tunnel's side (the peer's {@code error}, a broken rule, the tunnel closing): it is
     * already out of the table, and the relay resets the socket.
     */
    void failed(Throwable cause) {
        releasePending();
        if (side != null) {
            side.failed(cause);
        }
    }

    /** The relay is joined: delivers what the peer sent meanwhile, and its {@code end}. */
    void relayJoined() {
        ByteBuf body;
        while ((body = pending.poll()) != null) {
            side.read(body);
        }
        pendingBytes = 0;
        side.readComplete();
        if (peerEnded) {
            side.inputEnded();
        }
    }

    void releasePending() {
        ByteBuf body;
        while ((body = pending.poll()) != null) {
            body.release();
        }
        pendingBytes = 0;
    }

    // ---- as a relay end -----------------------------------------------------------------------------------

    @Override
    public void bind(Relay.Side side) {
        this.side = side;
    }

    @Override
    public void write(Object message) {
        if (closed) {
            ReferenceCountUtil.release(message);
            return;
        }
        tunnel.write(data((ByteBuf) message));
    }

    @Override
    public void flush() {
        tunnel.flush();
    }

    @Override
    public boolean isWritable() {
        return !pausedByPeer && tunnel.isWritable();
    }

    @Override
    public void setReading(boolean reading) {
        if (closed || peerEnded || reading != pausedPeer) {
            return; // nothing more will come, or the peer already has our word
        }
        pausedPeer = !reading;
        if (pausedPeer) {
            receivedWhilePaused = 0;
            tunnel.writeAndFlush(MproxyMessage.pause(id(), request.servicePort(), request.name(), received));
        } else {
            tunnel.writeAndFlush(MproxyMessage.resume(id(), request.servicePort(), request.name(), received));
        }
    }

    @Override
    public void shutdownOutput() {
        if (!closed && !ended) {
            ended = true;
            tunnel.writeAndFlush(MproxyMessage.end(id(), request.servicePort(), request.name()));
        }
    }

    /** Both directions ended: the stream is done, and each side has sent its {@code end}. */
    @Override
    public void close() {
        tunnel.remove(this);
    }

    /** The socket's side failed or the recording did: the peer gets {@code error} with the relay's reason. */
    @Override
    public void abort() {
        if (!closed) {
            tunnel.remove(this);
            tunnel.sendError(request, StreamErrors.CONNECTION_RESET,
                    relay == null || relay.failure() == null ? "connection closed before the stream ended"
                            : relay.failure());
        }
    }

    MproxyMessage data(ByteBuf body) {
        StreamRequest r = request;
        return MproxyMessage.data(r.client(), r.service(), r.servicePort(), r.name(), body);
    }

    @Override
    public String toString() {
        return "stream " + request;
    }
}
