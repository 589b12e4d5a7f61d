package dev.mproxy.connector;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Reconnect delays: 1 s doubling up to a maximum, each with ±20 % jitter so that devices cut off together do
 * not all return in the same instant. Reset after a connection that worked.
 */
final class Backoff {

    private static final long FIRST_MILLIS = 1000;

    private final long maxMillis;
    private long nextMillis = FIRST_MILLIS;

    Backoff(Duration max) {
        this.maxMillis = Math.max(FIRST_MILLIS, max.toMillis());
    }

    /** The next delay, then doubles it up to the maximum. */
    long nextDelayMillis() {
        long base = nextMillis;
        nextMillis = Math.min(maxMillis, nextMillis * 2);
        double jitter = 0.8 + 0.4 * ThreadLocalRandom.current().nextDouble();
        return Math.round(base * jitter);
    }

    void reset() {
        nextMillis = FIRST_MILLIS;
    }
}
