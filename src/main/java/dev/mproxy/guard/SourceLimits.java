package dev.mproxy.guard;

import io.netty.channel.Channel;
import io.netty.util.internal.ObjectUtil;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * At most {@code max} of something (connections, streams) held at once per source ({@link SourceKey}), so one
 * address cannot take what every other one needs (limits 2.1, 2.2). Thread-safe: acquired on any event loop.
 * Memory is bounded by what is held: a source holding nothing has no entry.
 */
public final class SourceLimits {

    private final int max;
    private final ConcurrentMap<String, Integer> held = new ConcurrentHashMap<>();

    public SourceLimits(int max) {
        this.max = ObjectUtil.checkPositive(max, "max");
    }

    /** Takes one for {@code source}; false, taking nothing, when it holds {@link #max()} already. */
    public boolean tryAcquire(String source) {
        boolean[] taken = {false};
        held.compute(source, (k, n) -> {
            int count = n == null ? 0 : n;
            if (count >= max) {
                return n;
            }
            taken[0] = true;
            return count + 1;
        });
        return taken[0];
    }

    /** Gives back one taken by {@link #tryAcquire}. */
    public void release(String source) {
        held.computeIfPresent(source, (k, n) -> n <= 1 ? null : n - 1);
    }

    /**
     * Takes one for {@code channel}'s source until it closes; false, taking nothing, when the source holds its
     * maximum (the caller closes the channel).
     */
    public boolean admit(Channel channel) {
        String source = SourceKey.of(channel.remoteAddress());
        if (!tryAcquire(source)) {
            return false;
        }
        channel.closeFuture().addListener(f -> release(source));
        return true;
    }

    /** What {@code source} holds now. */
    public int held(String source) {
        return held.getOrDefault(source, 0);
    }

    public int max() {
        return max;
    }
}
