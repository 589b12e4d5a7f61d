package dev.mproxy.guard;

import io.netty.util.internal.ObjectUtil;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.LongSupplier;

/**
 * Failed authentications per source ({@link SourceKey}): after {@code maxFailures} within {@code window}, the
 * source is refused without its token being looked at until the window since its first failure passes
 * (limits 4.2). Guessing a token is hopeless anyway (HMAC-SHA256); this keeps a guesser from costing CPU and log.
 * Thread-safe; the table is bounded.
 */
public final class AuthThrottle {

    /** Ten failures a minute: a device with a stale token retries with backoff and never gets near it. */
    public static final int DEFAULT_MAX_FAILURES = 10;
    public static final Duration DEFAULT_WINDOW = Duration.ofMinutes(1);
    /** Sources remembered at most; past it the table starts over (an attacker with more addresses wins little). */
    private static final int MAX_SOURCES = 100_000;

    private final int maxFailures;
    private final long windowNanos;
    private final LongSupplier nanoTime;
    private final ConcurrentMap<String, Failures> failures = new ConcurrentHashMap<>();

    public AuthThrottle(int maxFailures, Duration window, LongSupplier nanoTime) {
        this.maxFailures = ObjectUtil.checkPositive(maxFailures, "maxFailures");
        this.windowNanos = window.toNanos();
        this.nanoTime = nanoTime;
    }

    /** {@link #DEFAULT_MAX_FAILURES} per {@link #DEFAULT_WINDOW} on the system clock. */
    public static AuthThrottle withDefaults() {
        return new AuthThrottle(DEFAULT_MAX_FAILURES, DEFAULT_WINDOW, System::nanoTime);
    }

    /** Whether {@code source} has failed too often lately: refuse it without checking what it sent. */
    public boolean isThrottled(String source) {
        Failures f = failures.get(source);
        if (f == null) {
            return false;
        }
        synchronized (f) {
            return !f.expired(nanoTime.getAsLong()) && f.count >= maxFailures;
        }
    }

    /** One failed authentication from {@code source}. */
    public void failed(String source) {
        if (failures.size() >= MAX_SOURCES) {
            failures.clear();
        }
        long now = nanoTime.getAsLong();
        Failures f = failures.computeIfAbsent(source, k -> new Failures(now));
        synchronized (f) {
            if (f.expired(now)) {
                f.since = now;
                f.count = 0;
            }
            f.count++;
        }
    }

    private final class Failures {
        long since;
        int count;

        Failures(long since) {
            this.since = since;
        }

        boolean expired(long now) {
            return now - since >= windowNanos;
        }
    }
}
