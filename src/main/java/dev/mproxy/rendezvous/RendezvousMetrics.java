package dev.mproxy.rendezvous;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/**
 * The rendezvous relay's counters (rendezvous 4.5), updated by the event loops and readable from any thread,
 * for a metrics endpoint. Gauges ({@link #waitingPeers()}, {@link #activePairs()}) go up and down; the others
 * only count up from the gateway's start.
 */
public final class RendezvousMetrics {

    private final AtomicInteger waitingPeers = new AtomicInteger();
    private final AtomicInteger activePairs = new AtomicInteger();
    private final LongAdder pairsStarted = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final LongAdder refusedPeers = new LongAdder();
    private final LongAdder holdTimeouts = new LongAdder();
    private final LongAccumulator longestFrameDecoded = new LongAccumulator(Math::max, 0);

    RendezvousMetrics() {
    }

    /** Peers holding an id, waiting for the second peer (rendezvous 2.1). */
    public int waitingPeers() {
        return waitingPeers.get();
    }

    /** Pairs relaying now. */
    public int activePairs() {
        return activePairs.get();
    }

    /** Pairs started since the gateway started. */
    public long pairsStarted() {
        return pairsStarted.sum();
    }

    /** Pairs that ended in a failure rather than with both close frames (rendezvous 4.3). */
    public long errors() {
        return errors.sum();
    }

    /** Peers closed instead of waiting or pairing (rendezvous 2.1, 2.4, 2.5). */
    public long refusedPeers() {
        return refusedPeers.sum();
    }

    /** Waiting peers closed because no second peer came in time (rendezvous 2.3). */
    public long holdTimeouts() {
        return holdTimeouts.sum();
    }

    /**
     * The longest frame a peer's decoder has held whole since the gateway started: what the gateway buffers of a
     * message per peer while decoding, at most {@link Rendezvous#MAX_FRAME_PAYLOAD} however long the message
     * (rendezvous 1.5).
     */
    public long longestFrameDecoded() {
        return longestFrameDecoded.get();
    }

    void frameDecoded(long length) {
        longestFrameDecoded.accumulate(length);
    }

    void waiting() {
        waitingPeers.incrementAndGet();
    }

    void stoppedWaiting() {
        waitingPeers.decrementAndGet();
    }

    void paired() {
        waitingPeers.decrementAndGet();
        activePairs.incrementAndGet();
        pairsStarted.increment();
    }

    void ended(boolean failed) {
        activePairs.decrementAndGet();
        if (failed) {
            errors.increment();
        }
    }

    void refused() {
        refusedPeers.increment();
    }

    void holdTimedOut() {
        waitingPeers.decrementAndGet();
        holdTimeouts.increment();
    }

    @Override
    public String toString() {
        return "waiting " + waitingPeers() + ", active " + activePairs() + ", started " + pairsStarted()
                + ", errors " + errors() + ", refused " + refusedPeers() + ", hold timeouts " + holdTimeouts();
    }
}
