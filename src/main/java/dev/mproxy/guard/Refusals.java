package dev.mproxy.guard;

import io.netty.util.internal.logging.InternalLogger;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * How often each {@link Refusal} happened since a gateway started, for a metrics endpoint, and one place that
 * logs them: {@link #refuse} counts and logs at most one line per reason per interval ({@link RateLimitedLog}).
 * Thread-safe; one per gateway.
 */
public final class Refusals {

    private final Map<Refusal, LongAdder> counts = new EnumMap<>(Refusal.class);
    private final RateLimitedLog log;

    /** Counts, and logs through {@code log}. */
    public Refusals(RateLimitedLog log) {
        this.log = log;
        for (Refusal r : Refusal.values()) {
            counts.put(r, new LongAdder());
        }
    }

    /** Counts, and logs to {@code logger} at most one line per reason per {@link RateLimitedLog#DEFAULT_INTERVAL}. */
    public static Refusals loggingTo(InternalLogger logger) {
        return new Refusals(new RateLimitedLog(logger, RateLimitedLog.DEFAULT_INTERVAL, System::nanoTime));
    }

    /**
     * Counts one {@code reason} and logs {@code detail} (which must hold remote text only through {@link RemoteText})
     * unless a line for the same reason went out within the interval.
     */
    public void refuse(Refusal reason, String detail) {
        counts.get(reason).increment();
        log.info(reason.name(), reason.description() + ": " + detail);
    }

    /** How many times {@code reason} happened. */
    public long count(Refusal reason) {
        return counts.get(reason).sum();
    }

    /** Every reason with its count, in declaration order. */
    public Map<Refusal, Long> snapshot() {
        Map<Refusal, Long> copy = new EnumMap<>(Refusal.class);
        counts.forEach((r, n) -> copy.put(r, n.sum()));
        return Collections.unmodifiableMap(copy);
    }
}
