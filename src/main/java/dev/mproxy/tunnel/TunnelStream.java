package dev.mproxy.tunnel;

import dev.mproxy.protocol.StreamAddress;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.util.ArrayDeque;

/**
 * One stream's state, touched only on its tunnel's event loop. A stream is gone when both directions have
 * ended ({@code end} each way) or on {@code error} or reset (protocol-spec/streams.md §3).
 */
final class TunnelStream {

    final StreamRequest request;
    /** The socket this stream joins to the tunnel; null while the device is still connecting it. */
    Channel endpoint;
    /** Data from the peer that arrived while connecting, written once connected. */
    final ArrayDeque<ByteBuf> pending = new ArrayDeque<>();
    long pendingBytes;

    /** Bytes received from the peer for this stream; the body of our {@code pause} and {@code resume}. */
    long received;
    /** The peer sent {@code end}: no more data will come from it. */
    boolean peerEnded;
    /** The endpoint's input ended (FIN) and we sent {@code end}. */
    boolean endpointEnded;
    /** The peer asked us to stop reading this stream's socket. */
    boolean pausedByPeer;
    /** We asked the peer to stop sending, because this stream's socket has a backlog. */
    boolean pausedPeer;
    /** Removed from the table; late events are ignored. */
    boolean closed;

    TunnelStream(StreamRequest request) {
        this.request = request;
    }

    StreamAddress id() {
        return request.client();
    }

    void releasePending() {
        ByteBuf buf;
        while ((buf = pending.poll()) != null) {
            buf.release();
        }
        pendingBytes = 0;
    }

    @Override
    public String toString() {
        return "stream " + request;
    }
}
