package dev.mproxy.guard;

import io.netty.util.internal.ObjectUtil;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bytes the gateway holds for someone (a tunnel's streams, the gateway as a whole) against a limit (limits §3).
 * Over the limit the budget is spent, and stays spent until use falls to half of it, so reading does not flap
 * on and off per message. A budget may have a parent, charged with everything charged to it. Thread-safe;
 * listeners hear each change between spent and not, on the thread that caused it, and ask {@link #isSpent()}.
 */
public final class MemoryBudget {

    private final String name;
    private final long limit;
    private final MemoryBudget parent;
    private final AtomicLong used = new AtomicLong();
    private final AtomicBoolean spent = new AtomicBoolean();
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

    /** A budget of {@code limit} bytes, charged to {@code parent} too unless it is null. */
    public MemoryBudget(String name, long limit, MemoryBudget parent) {
        this.name = name;
        this.limit = ObjectUtil.checkPositive(limit, "limit");
        this.parent = parent;
    }

    /** Charges {@code bytes}, and its parent. */
    public void reserve(long bytes) {
        long now = used.addAndGet(bytes);
        if (parent != null) {
            parent.reserve(bytes);
        }
        if (now > limit && spent.compareAndSet(false, true)) {
            changed();
        }
    }

    /** Gives back {@code bytes} charged by {@link #reserve}. */
    public void release(long bytes) {
        long now = used.addAndGet(-bytes);
        if (parent != null) {
            parent.release(bytes);
        }
        if (now <= limit / 2 && spent.compareAndSet(true, false)) {
            changed();
        }
    }

    /** Whether this budget, or its parent, is spent. */
    public boolean isSpent() {
        return spent.get() || parent != null && parent.isSpent();
    }

    /** Bytes charged now. */
    public long used() {
        return used.get();
    }

    public long limit() {
        return limit;
    }

    /** Runs {@code listener} at each change of this budget's (not its parent's) state. */
    public void addListener(Runnable listener) {
        listeners.add(listener);
    }

    public void removeListener(Runnable listener) {
        listeners.remove(listener);
    }

    private void changed() {
        for (Runnable listener : listeners) {
            listener.run();
        }
    }

    @Override
    public String toString() {
        return name + " memory budget (" + used.get() + " of " + limit + " bytes)";
    }
}
