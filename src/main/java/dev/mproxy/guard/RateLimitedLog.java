package dev.mproxy.guard;

import io.netty.util.internal.logging.InternalLogger;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.LongSupplier;

/**
 * A logger that writes at most one line per key per interval: a flood of one event (a scan, a botnet's
 * handshakes) costs one line per interval, and the next line says how many were left out (limits 5.2).
 */
public final class RateLimitedLog {

    /** One line per reason every 10 s: enough to see an attack start and stop, at most 8,640 lines a day. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);

    /** Keys are a fixed set of reasons; this bounds the map should a caller pass remote text as a key. */
    private static final int MAX_KEYS = 1024;

    private final InternalLogger logger;
    private final long intervalNanos;
    private final LongSupplier nanoTime;
    private final ConcurrentMap<String, Window> windows = new ConcurrentHashMap<>();

    public RateLimitedLog(InternalLogger logger, Duration interval, LongSupplier nanoTime) {
        this.logger = logger;
        this.intervalNanos = interval.toNanos();
        this.nanoTime = nanoTime;
    }

    /** Logs {@code line} at INFO unless a line for {@code key} went out within the interval; returns whether it did. */
    public boolean info(String key, String line) {
        if (!logger.isInfoEnabled()) {
            return false;
        }
        if (windows.size() > MAX_KEYS) {
            windows.clear();
        }
        long now = nanoTime.getAsLong();
        Window w = windows.computeIfAbsent(key, k -> new Window(now - intervalNanos));
        long suppressed;
        synchronized (w) {
            if (now - w.lastLogged < intervalNanos) {
                w.suppressed++;
                return false;
            }
            w.lastLogged = now;
            suppressed = w.suppressed;
            w.suppressed = 0;
        }
        logger.info(suppressed == 0 ? line : line + " (and " + suppressed + " more like it not logged)");
        return true;
    }

    private static final class Window {
        long lastLogged;
        long suppressed;

        Window(long lastLogged) {
            this.lastLogged = lastLogged;
        }
    }
}
