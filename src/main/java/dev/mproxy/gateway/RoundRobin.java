package dev.mproxy.gateway;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The devices that share one public port or one name, taking new connections in turn. When one leaves, the
 * next pick already skips it. Picks run on any event loop; the registry adds and removes.
 */
final class RoundRobin {

    private final CopyOnWriteArrayList<DeviceSession> sessions = new CopyOnWriteArrayList<>();
    private final AtomicInteger next = new AtomicInteger();

    /** The next device in turn whose tunnel is open, or null. */
    DeviceSession pick() {
        for (int tries = sessions.size(); tries > 0; tries--) {
            List<DeviceSession> now = sessions;
            if (now.isEmpty()) {
                return null;
            }
            DeviceSession s = now.get(Math.floorMod(next.getAndIncrement(), now.size()));
            if (s.channel().isActive()) {
                return s;
            }
        }
        return null;
    }

    /** Adds the session unless it is there already (a device registered again keeps one turn). */
    void add(DeviceSession session) {
        sessions.addIfAbsent(session);
    }

    /** Removes the session; true when no device is left. */
    boolean remove(DeviceSession session) {
        sessions.remove(session);
        return sessions.isEmpty();
    }

    boolean isEmpty() {
        return sessions.isEmpty();
    }

    boolean contains(DeviceSession session) {
        return sessions.contains(session);
    }
}
