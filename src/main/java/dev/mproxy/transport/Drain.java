package dev.mproxy.transport;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;

/** The wait of a graceful stop (SIGTERM): the gateway's and the connector's, which differ only in what they count. */
public final class Drain {

    /** How often the open streams are counted again; a stop need not be finer than this. */
    private static final long POLL_MILLIS = 100;

    private Drain() {
    }

    /**
     * Blocks (never call on an event loop) until {@code open} counts nothing, {@code timeout} passes, {@code forced}
     * turns true (a second signal) or the thread is interrupted.
     *
     * @param first what {@code open} counted when the stop began, already logged by the caller
     * @return how many were still open when the wait ended
     */
    public static int await(int first, IntSupplier open, Duration timeout, BooleanSupplier forced) {
        int count = first;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (count > 0 && System.nanoTime() < deadline && !forced.getAsBoolean()) {
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            count = open.getAsInt();
        }
        return count;
    }
}
