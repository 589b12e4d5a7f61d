package dev.mproxy.tunnel;

/**
 * Hears what a tunnel's streams do, for metrics. Called on the tunnel's event loop, once per event (never per
 * byte: bytes are counted by the {@link TunnelMeter}), so an implementation must neither block nor lock; counters
 * such as {@link java.util.concurrent.atomic.LongAdder} fit. Every method does nothing by default.
 */
public interface TunnelObserver {

    /** Hears nothing. */
    TunnelObserver NONE = new TunnelObserver() {
    };

    /** A stream of {@code kind} was opened. */
    default void streamOpened(StreamKind kind) {
    }

    /** A stream of {@code kind} ended, cleanly or not; each opened stream ends once. */
    default void streamClosed(StreamKind kind) {
    }

    /** A stream was refused because the tunnel carries its maximum of streams ({@code --max-streams}). */
    default void streamLimitReached() {
    }

    /**
     * A {@code pause} went out or came in: {@code byPeer} when the peer paused us (its socket is slow), else we
     * paused the peer (ours is).
     */
    default void paused(boolean byPeer) {
    }

    /** The peer held a stream paused for {@code nanos}, from its {@code pause} to its {@code resume} or the end. */
    default void pausedFor(long nanos) {
    }

    /** A WebSocket ping was answered after {@code nanos}. */
    default void roundTrip(long nanos) {
    }
}
