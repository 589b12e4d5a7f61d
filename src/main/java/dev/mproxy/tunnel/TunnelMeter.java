package dev.mproxy.tunnel;

import io.netty.util.internal.ObjectUtil;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * One tunnel's counters: streams and bytes by {@link StreamKind}, pauses, the last ping's round trip. Written only
 * by the tunnel's event loop, so an update is a plain add and a release store (no lock, no contention, no
 * allocation); read from any thread, each value on its own (a reader may see bytes of a stream it does not see
 * open yet). Each event is passed on to the {@link TunnelObserver}, which aggregates over tunnels.
 */
public final class TunnelMeter {

    private static final int OPENED = 0;
    private static final int OPEN = 1;
    private static final int BYTES_TO_PEER = 2;
    private static final int BYTES_FROM_PEER = 3;
    private static final int PER_KIND = 4;
    private static final int PAUSES_SENT = StreamKind.all().length * PER_KIND;
    private static final int PAUSES_RECEIVED = PAUSES_SENT + 1;
    private static final int PAUSED_NANOS = PAUSES_SENT + 2;
    private static final int LAST_RTT_NANOS = PAUSES_SENT + 3;
    private static final int SIZE = PAUSES_SENT + 4;

    private final AtomicLongArray counters = new AtomicLongArray(SIZE);
    private final TunnelObserver observer;

    public TunnelMeter(TunnelObserver observer) {
        this.observer = ObjectUtil.checkNotNull(observer, "observer");
    }

    /** Counts nothing anyone reads but this meter's owner. */
    static TunnelMeter unobserved() {
        return new TunnelMeter(TunnelObserver.NONE);
    }

    // ---- reads, from any thread -----------------------------------------------------------------------

    /** Streams of {@code kind} opened on this tunnel. */
    public long streamsOpened(StreamKind kind) {
        return counters.getAcquire(slot(kind, OPENED));
    }

    /** Streams of {@code kind} open now. */
    public long streamsOpen(StreamKind kind) {
        return counters.getAcquire(slot(kind, OPEN));
    }

    /** Streams of every kind open now. */
    public long streamsOpen() {
        long sum = 0;
        for (StreamKind kind : StreamKind.all()) {
            sum += streamsOpen(kind);
        }
        return sum;
    }

    /** Stream bytes of {@code kind} sent to the peer (on the gateway: from public clients to the device). */
    public long bytesToPeer(StreamKind kind) {
        return counters.getAcquire(slot(kind, BYTES_TO_PEER));
    }

    /** Stream bytes of {@code kind} received from the peer (on the gateway: from the device to public clients). */
    public long bytesFromPeer(StreamKind kind) {
        return counters.getAcquire(slot(kind, BYTES_FROM_PEER));
    }

    public long bytesToPeer() {
        long sum = 0;
        for (StreamKind kind : StreamKind.all()) {
            sum += bytesToPeer(kind);
        }
        return sum;
    }

    public long bytesFromPeer() {
        long sum = 0;
        for (StreamKind kind : StreamKind.all()) {
            sum += bytesFromPeer(kind);
        }
        return sum;
    }

    /** {@code pause} messages we sent the peer. */
    public long pausesSent() {
        return counters.getAcquire(PAUSES_SENT);
    }

    /** {@code pause} messages the peer sent us. */
    public long pausesReceived() {
        return counters.getAcquire(PAUSES_RECEIVED);
    }

    /** Time streams spent paused by the peer, summed over streams, in nanoseconds. */
    public long pausedNanos() {
        return counters.getAcquire(PAUSED_NANOS);
    }

    /** The last ping's round trip in nanoseconds; -1 before the first pong. */
    public long lastRoundTripNanos() {
        long rtt = counters.getAcquire(LAST_RTT_NANOS);
        return rtt == 0 ? -1 : rtt;
    }

    // ---- writes, on the tunnel's event loop only ------------------------------------------------------------

    void streamOpened(StreamKind kind) {
        add(slot(kind, OPENED), 1);
        add(slot(kind, OPEN), 1);
        observer.streamOpened(kind);
    }

    void streamClosed(StreamKind kind) {
        add(slot(kind, OPEN), -1);
        observer.streamClosed(kind);
    }

    void streamLimitReached() {
        observer.streamLimitReached();
    }

    void sentToPeer(StreamKind kind, int bytes) {
        add(slot(kind, BYTES_TO_PEER), bytes);
    }

    void receivedFromPeer(StreamKind kind, int bytes) {
        add(slot(kind, BYTES_FROM_PEER), bytes);
    }

    void paused(boolean byPeer) {
        add(byPeer ? PAUSES_RECEIVED : PAUSES_SENT, 1);
        observer.paused(byPeer);
    }

    void pausedFor(long nanos) {
        add(PAUSED_NANOS, nanos);
        observer.pausedFor(nanos);
    }

    void roundTrip(long nanos) {
        counters.setRelease(LAST_RTT_NANOS, Math.max(1, nanos));
        observer.roundTrip(nanos);
    }

    /** One writer: a plain read and a release store, which an atomic add would only make slower. */
    private void add(int index, long delta) {
        counters.setRelease(index, counters.getPlain(index) + delta);
    }

    private static int slot(StreamKind kind, int field) {
        return kind.ordinal() * PER_KIND + field;
    }

    @Override
    public String toString() {
        return "TunnelMeter(open: " + streamsOpen() + ", bytes to peer: " + bytesToPeer() + ", from peer: "
                + bytesFromPeer() + ", pauses sent: " + pausesSent() + ", received: " + pausesReceived() + ')';
    }
}
