package dev.mproxy.gateway;

import dev.mproxy.auth.DeviceToken;
import dev.mproxy.auth.DomainMap;
import dev.mproxy.auth.RevokedTokens;
import dev.mproxy.protocol.MproxyConstants;
import dev.mproxy.tunnel.Grant;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The connected devices, the public ports and the names they serve. A device that connects again takes over:
 * its old tunnel is closed. A port listens while at least one device is granted it and stops with the last.
 * Names route connections on the gateway's shared TLS and HTTP ports (protocol-spec/routing.md).
 * Changes are synchronized: sessions live on different event loops, and nothing here blocks. Lookups by name
 * run on any loop without the lock.
 */
final class DeviceRegistry {

    private final GatewayConfig config;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final GatewayGuards guards;
    private final Map<String, DeviceSession> devices = new HashMap<>();
    private final Map<Integer, PortListener> ports = new HashMap<>();
    private final DomainMap<RoundRobin> names = new DomainMap<>();
    private boolean closed;

    DeviceRegistry(GatewayConfig config, EventLoopGroup boss, EventLoopGroup workers) {
        this.config = config;
        this.boss = boss;
        this.workers = workers;
        this.guards = new GatewayGuards(config.guardLimits());
    }

    /** The gateway's bounds (protocol-spec/limits.md). */
    GatewayGuards guards() {
        return guards;
    }

    /**
     * What registering a device gave: the names it serves, what was refused at once (ports and names, each
     * with a code and a message), and the binds of the ports it was granted.
     */
    record Registration(List<String> domains, List<Grant.Refusal> refused, Map<Integer, ChannelFuture> binds) {
    }

    /**
     * Registers an authenticated session, taking over from an older one of the same device. Registering the
     * same session again, once its token grants more (a second {@code add_token}, control 2.3), adds what is
     * new and keeps what it had.
     */
    synchronized Registration register(DeviceSession session) {
        if (closed) {
            session.close(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE, "gateway is shutting down");
            return new Registration(List.of(), List.of(), Map.of());
        }
        DeviceToken token = session.token();
        DeviceSession old = devices.put(token.deviceId(), session);
        List<Grant.Refusal> refused = new ArrayList<>();
        Map<Integer, ChannelFuture> binds = new HashMap<>();
        for (int port : token.ports()) {
            if (!config.allowedPorts().contains(port)) {
                config.observer().refused(RefusalReason.PORT_NOT_ALLOWED);
                refused.add(Grant.Refusal.port(port, "E_PORT_NOT_ALLOWED", "port " + port + " is outside the "
                        + "gateway's allowed ports " + config.allowedPorts()));
                continue;
            }
            PortListener listener = ports.computeIfAbsent(port, p -> {
                PortListener created = new PortListener(p, config.publicBindHost(), boss, workers, guards);
                created.bound().addListener(f -> {
                    if (!f.isSuccess()) {
                        forget(created);
                    }
                });
                return created;
            });
            listener.sessions().add(session);
            binds.put(port, listener.bound());
        }
        List<String> domains = new ArrayList<>();
        for (String domain : token.domains()) {
            if (domain.length() > MproxyConstants.MAX_ROUTED_NAME_LENGTH) {
                config.observer().refused(RefusalReason.NAME_TOO_LONG);
                refused.add(Grant.Refusal.domain(domain, "E_NAME_TOO_LONG", "name " + domain + " is "
                        + domain.length() + " characters long; a stream header holds names of at most "
                        + MproxyConstants.MAX_ROUTED_NAME_LENGTH + " (routing 1.3)"));
                continue;
            }
            names.computeIfAbsent(domain, d -> new RoundRobin()).add(session);
            domains.add(domain);
        }
        if (old != null && old != session) {
            // after the new session joined its ports and names, so none both serve is ever without a device
            removeFromPortsAndNames(old);
            old.close(WebSocketCloseStatus.NORMAL_CLOSURE, "replaced by a new connection of device "
                    + token.deviceId() + " from " + session.channel().remoteAddress());
        }
        return new Registration(domains, refused, binds);
    }

    /**
     * The device to carry a connection for {@code host} (an SNI name or Host header), by the exact name, else
     * the longest wildcard covering it (routing 1.2); null when no connected device serves it.
     */
    DeviceSession route(String host) {
        if (host.length() > MproxyConstants.MAX_ROUTED_NAME_LENGTH) {
            return null; // no grant covers it: the stream's header could not carry it (routing 1.3)
        }
        RoundRobin devices = names.match(host);
        return devices == null ? null : devices.pick();
    }

    synchronized void unregister(DeviceSession session) {
        if (!closed) {
            devices.remove(session.token().deviceId(), session);
            removeFromPortsAndNames(session);
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

    /**
     * Closes, with status 1008 and why, each tunnel holding a token that {@code revoked} now refuses; returns how many
     * (protocol-spec/admin.md 5.3).
     */
    int closeRevoked(RevokedTokens revoked) {
        int closed = 0;
        for (DeviceView device : devices()) {
            DeviceSession session = (DeviceSession) device;
            for (DeviceToken grant : session.grants()) {
                Optional<String> reason = revoked.reason(grant);
                if (reason.isPresent()) {
                    session.close(WebSocketCloseStatus.POLICY_VIOLATION, "token revoked: " + reason.get());
                    closed++;
                    break;
                }
            }
        }
        return closed;
    }

    /** The registered devices, a copy. */
    synchronized List<DeviceView> devices() {
        return List.copyOf(devices.values());
    }

    /** The registered device {@code id}, or null. */
    synchronized DeviceSession device(String id) {
        return devices.get(id);
    }

    synchronized boolean isClosed() {
        return closed;
    }

    /** Live devices, for tests and metrics. */
    synchronized int deviceCount() {
        return devices.size();
    }

    private void removeFromPortsAndNames(DeviceSession session) {
        ports.values().removeIf(listener -> {
            if (!listener.sessions().contains(session) || !listener.sessions().remove(session)) {
                return false;
            }
            listener.close();
            return true;
        });
        for (String domain : session.token().domains()) {
            RoundRobin devices = names.get(domain);
            if (devices != null && devices.contains(session) && devices.remove(session)) {
                names.remove(domain, devices);
            }
        }
    }

    /** A port that could not be bound is dropped, so the next device to claim it tries again. */
    private synchronized void forget(PortListener listener) {
        ports.remove(listener.port(), listener);
    }
}
