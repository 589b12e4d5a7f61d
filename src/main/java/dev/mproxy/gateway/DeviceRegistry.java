package dev.mproxy.gateway;

import dev.mproxy.auth.DeviceToken;
import dev.mproxy.auth.DomainMap;
import dev.mproxy.auth.RevokedTokens;
import dev.mproxy.config.HostPorts;
import dev.mproxy.guard.RemoteText;
import dev.mproxy.protocol.MproxyConstants;
import dev.mproxy.protocol.StreamAddress;
import dev.mproxy.tunnel.Grant;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The connected devices, the public ports and the names they serve. A device that connects again takes over:
 * its old tunnel is closed. A port listens while at least one device is granted it and stops with the last.
 * Names route connections on the gateway's shared TLS and HTTP ports (protocol-spec/routing.md).
 * Changes are synchronized: sessions live on different event loops, and nothing here blocks. Lookups by name
 * run on any loop without the lock.
 */
final class DeviceRegistry {

    private static final InternalLogger logger = InternalLoggerFactory.getInstance(DeviceRegistry.class);

    /** Close status of a tunnel whose device connected again (control 2.6): its connector stops. */
    static final WebSocketCloseStatus REPLACED = new WebSocketCloseStatus(4000, "Replaced");

    private final GatewayConfig config;
    private final EventLoop accepting;
    private final EventLoopGroup workers;
    private final GatewayGuards guards;
    private final Map<String, DeviceSession> devices = new HashMap<>();
    private final Map<Integer, PortListener> ports = new HashMap<>();
    private final DomainMap<RoundRobin> names = new DomainMap<>();
    /** Each device's tunnel numbered: a new tunnel of a device gets a new number (a claim, cluster 2.1). */
    private final Map<String, Long> generations = new HashMap<>();
    private long lastGeneration;
    /** Null on a single node; else told of every change, and asked to carry what no device here serves. */
    private final ClusterMember cluster;
    private boolean closed;

    DeviceRegistry(GatewayConfig config, EventLoop accepting, EventLoopGroup workers) {
        this.config = config;
        this.accepting = accepting;
        this.workers = workers;
        this.guards = new GatewayGuards(config.guardLimits());
        this.cluster = config.cluster();
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
        if (old != session) {
            generations.put(token.deviceId(), ++lastGeneration);
        }
        List<Grant.Refusal> refused = new ArrayList<>();
        Map<Integer, ChannelFuture> binds = new HashMap<>();
        for (int port : token.ports()) {
            if (!config.allowedPorts().contains(port)) {
                config.observer().refused(RefusalReason.PORT_NOT_ALLOWED);
                refused.add(Grant.Refusal.port(port, "E_PORT_NOT_ALLOWED", "port " + port + " is outside the "
                        + "gateway's allowed ports " + config.allowedPorts()));
                continue;
            }
            PortListener listener = ports.computeIfAbsent(port, this::listen);
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
            // control 2.6: the newer connection wins; 4000 tells the old connector to stop, not to come back
            String from = HostPorts.format(session.channel().remoteAddress());
            logger.warn("device={} replaced: a newer connection from {} took over from {}",
                    RemoteText.quoted(token.deviceId()), from,
                    HostPorts.format(old.channel().remoteAddress()));
            old.close(REPLACED, "replaced by a newer connection from " + from);
        }
        clusterChanged();
        return new Registration(domains, refused, binds);
    }

    private PortListener listen(int port) {
        PortListener created = new PortListener(port, config.publicBindHost(), accepting, workers, guards, cluster);
        created.bound().addListener(f -> {
            if (!f.isSuccess()) {
                forget(created);
            }
        });
        return created;
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
            if (devices.remove(session.token().deviceId(), session)) {
                generations.remove(session.token().deviceId());
            }
            removeFromPortsAndNames(session);
            clusterChanged();
        }
    }

    // ---- the cluster's view of this node (protocol-spec/cluster.md) --------------------------------------

    private void clusterChanged() {
        if (cluster != null) {
            cluster.localChanged();
        }
    }

    /** The devices connected here, each with its tunnel's number. */
    synchronized Map<String, Long> deviceGenerations() {
        return Map.copyOf(generations);
    }

    /** The public TCP ports this node's devices hold. */
    synchronized Set<Integer> localPorts() {
        Set<Integer> held = new HashSet<>();
        ports.forEach((port, listener) -> {
            if (!listener.sessions().isEmpty()) {
                held.add(port);
            }
        });
        return held;
    }

    /** The names this node's devices serve. */
    synchronized Set<String> localNames() {
        Set<String> served = new HashSet<>();
        for (DeviceSession session : devices.values()) {
            served.addAll(session.token().domains());
        }
        return served;
    }

    /** Whether a device here serves {@code name}, or {@code port} when there is no name (cluster 4.3, 5.1). */
    boolean serves(int port, String name) {
        if (!name.isEmpty()) {
            return route(name) != null;
        }
        PortListener listener;
        synchronized (this) {
            listener = ports.get(port);
        }
        return listener != null && !listener.sessions().isEmpty();
    }

    /** A node tunnel's stream goes to a device here, never further (cluster 4.3, 5.1). */
    boolean openLocal(Channel connection, StreamAddress client, String service, int port, String name) {
        DeviceSession session;
        if (!name.isEmpty()) {
            session = route(name);
        } else {
            PortListener listener;
            synchronized (this) {
                listener = ports.get(port);
            }
            session = listener == null ? null : listener.sessions().pick();
        }
        if (session == null) {
            return false;
        }
        session.tunnel().openStream(connection, client, service, Integer.toString(port), name, null);
        return true;
    }

    /** The cluster this gateway is a node of, or null. */
    ClusterMember cluster() {
        return cluster;
    }

    /**
     * Listens on every port a device of the cluster holds, within the allowed ports, and stops listening on a
     * port no device holds any more (cluster 3.1).
     */
    synchronized void syncRemotePorts() {
        if (closed || cluster == null) {
            return;
        }
        Set<Integer> remote = cluster.remotePorts();
        for (int port : remote) {
            if (config.allowedPorts().contains(port)) {
                ports.computeIfAbsent(port, this::listen);
            }
        }
        ports.values().removeIf(listener -> {
            if (!listener.sessions().isEmpty() || remote.contains(listener.port())) {
                return false;
            }
            listener.close();
            return true;
        });
    }

    /** Another node took the device over (cluster 2.2). */
    void drop(String deviceId, String reason) {
        DeviceSession session;
        synchronized (this) {
            session = devices.get(deviceId);
        }
        if (session != null) {
            session.close(WebSocketCloseStatus.NORMAL_CLOSURE, reason);
        }
    }

    /**
     * Stops taking new work while the tunnels stay: public ports stop listening (their open connections go on)
     * and no device registers any more. The gateway is draining; {@link #close()} follows.
     */
    synchronized void stopAccepting() {
        closed = true;
        ports.values().forEach(PortListener::close);
    }

    /** The tunnels of the connected devices now. */
    synchronized List<DeviceSession> sessions() {
        return new ArrayList<>(devices.values());
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
            generations.clear();
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
            if (!listener.sessions().contains(session) || !listener.sessions().remove(session)
                    || cluster != null && cluster.remotePorts().contains(listener.port())) {
                return false; // still served: by another device here, or by another node (cluster 3.1)
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
