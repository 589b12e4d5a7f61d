package dev.mproxy.gateway;

import dev.mproxy.auth.DeviceToken;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The connected devices and the public ports they serve. A device that connects again takes over: its old
 * tunnel is closed. A port listens while at least one device is granted it and stops with the last.
 * Methods are synchronized: sessions live on different event loops, and nothing here blocks.
 */
final class DeviceRegistry {

    private final GatewayConfig config;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Map<String, DeviceSession> devices = new HashMap<>();
    private final Map<Integer, PortListener> ports = new HashMap<>();
    private boolean closed;

    DeviceRegistry(GatewayConfig config, EventLoopGroup boss, EventLoopGroup workers) {
        this.config = config;
        this.boss = boss;
        this.workers = workers;
    }

    /** What registering a device gave: ports refused at once, and the binds of the ports it was granted. */
    record Registration(List<Map<String, Object>> refused, Map<Integer, ChannelFuture> binds) {
    }

    /** Registers an authenticated session, taking over from an older one of the same device. */
    synchronized Registration register(DeviceSession session) {
        if (closed) {
            session.close(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE, "gateway is shutting down");
            return new Registration(List.of(), Map.of());
        }
        DeviceToken token = session.token();
        DeviceSession old = devices.put(token.deviceId(), session);
        List<Map<String, Object>> refused = new ArrayList<>();
        Map<Integer, ChannelFuture> binds = new HashMap<>();
        for (int port : token.ports()) {
            if (!config.allowedPorts().contains(port)) {
                refused.add(Map.of("port", port, "message", "port " + port + " is outside the gateway's allowed"
                        + " ports " + config.allowedPorts()));
                continue;
            }
            PortListener listener = ports.computeIfAbsent(port, p -> {
                PortListener created = new PortListener(p, config.publicBindHost(), boss, workers);
                created.bound().addListener(f -> {
                    if (!f.isSuccess()) {
                        forget(created);
                    }
                });
                return created;
            });
            listener.add(session);
            binds.put(port, listener.bound());
        }
        if (old != null && old != session) {
            // after the new session joined its ports, so a port both serve never closes in between
            removeFromPorts(old);
            old.close(WebSocketCloseStatus.NORMAL_CLOSURE, "replaced by a new connection of device "
                    + token.deviceId() + " from " + session.channel().remoteAddress());
        }
        return new Registration(refused, binds);
    }

    synchronized void unregister(DeviceSession session) {
        if (!closed) {
            devices.remove(session.token().deviceId(), session);
            removeFromPorts(session);
        }
    }

    /** Closes every public port and device tunnel, and waits for them: the gateway is stopping. */
    void close() {
        List<ChannelFuture> closing = new ArrayList<>();
        synchronized (this) {
            closed = true;
            for (PortListener listener : ports.values()) {
                closing.add(listener.close());
            }
            for (DeviceSession session : devices.values()) {
                closing.add(session.close(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE, "gateway is shutting down"));
            }
            ports.clear();
            devices.clear();
        }
        for (ChannelFuture f : closing) {
            f.awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    /** Live devices, for tests and metrics. */
    synchronized int deviceCount() {
        return devices.size();
    }

    private void removeFromPorts(DeviceSession session) {
        ports.values().removeIf(listener -> {
            if (!listener.sessions().contains(session) || !listener.remove(session)) {
                return false;
            }
            listener.close();
            return true;
        });
    }

    /** A port that could not be bound is dropped, so the next device to claim it tries again. */
    private synchronized void forget(PortListener listener) {
        ports.remove(listener.port(), listener);
    }
}
