package dev.mproxy.cluster;

import dev.mproxy.gateway.ClusterMember;
import dev.mproxy.gateway.LocalNode;
import dev.mproxy.tunnel.TunnelHandler;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import dev.mproxy.auth.DomainMap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A gateway's membership of a cluster on Redis (protocol-spec/cluster.md): its heartbeat keeps its leases
 * (node, routes, devices) and reads the local view; a change here is written and announced at once, and an
 * announcement from another node reads the view again. Every Redis command runs on this member's own thread,
 * never on an event loop, and routing reads only the view, never Redis.
 */
public final class RedisCluster implements ClusterMember {

    private static final InternalLogger logger = InternalLoggerFactory.getInstance(RedisCluster.class);

    /** Lettuce's switch for io_uring, read once when its classes load. */
    private static final String LETTUCE_IO_URING = "io.lettuce.core.iouring";

    static {
        // Lettuce prefers epoll anyway, and where io_uring is available too it says so at WARN on every connection
        // ("Both epoll and io_uring ... epoll has been prioritized"): a line operators would take for a fault
        if (System.getProperty(LETTUCE_IO_URING) == null) {
            System.setProperty(LETTUCE_IO_URING, "false");
        }
    }

    static final String PREFIX = "mproxy:";
    static final String NODES = PREFIX + "nodes";
    static final String EVENTS = PREFIX + "events";

    /**
     * The heartbeat's write, atomic (cluster 1.4): KEYS node, ports, names, nodes; ARGV url, lease, id, the number
     * of ports, the ports, the names. 0 when another live node holds the id (its URL differs), else 1.
     */
    private static final String HEARTBEAT = ""
            + "local cur = redis.call('GET', KEYS[1])\n"
            + "if cur and cur ~= ARGV[1] then return 0 end\n"
            + "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])\n"
            + "redis.call('SADD', KEYS[4], ARGV[3])\n"
            + "redis.call('DEL', KEYS[2], KEYS[3])\n"
            + "local n = tonumber(ARGV[4])\n"
            + "for i = 5, 4 + n do redis.call('SADD', KEYS[2], ARGV[i]) end\n"
            + "for i = 5 + n, #ARGV do redis.call('SADD', KEYS[3], ARGV[i]) end\n"
            + "redis.call('PEXPIRE', KEYS[2], ARGV[2])\n"
            + "redis.call('PEXPIRE', KEYS[3], ARGV[2])\n"
            + "return 1\n";
    /**
     * A device's ownership (cluster 2.1, 2.2): KEYS device; ARGV node id, lease, "1" to claim it. Claiming always
     * takes it; a refresh keeps it only while it is ours. Returns "" when ours, else the node that holds it.
     */
    private static final String OWN = ""
            + "local cur = redis.call('GET', KEYS[1])\n"
            + "if ARGV[3] == '1' or not cur or cur == ARGV[1] then\n"
            + "  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])\n"
            + "  return ''\n"
            + "end\n"
            + "return cur\n";
    /** A device left (cluster 2.3): KEYS device; ARGV node id. Deleted only while it names this node. */
    private static final String RELEASE = ""
            + "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end\n"
            + "return 0\n";

    /**
     * Where a rendezvous peer with no peer at its own node is served (cluster 8.2): KEYS relay; ARGV node id,
     * lease, "1" when the peer may wait. Returns the node that holds the id, or "" for this one (claimed when the
     * peer may wait).
     */
    private static final String RELAY = ""
            + "local cur = redis.call('GET', KEYS[1])\n"
            + "if cur and cur ~= ARGV[1] then return cur end\n"
            + "if ARGV[3] == '1' then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end\n"
            + "return ''\n";
    /** How long leaving may wait for Lettuce's connections and event loops to stop. */
    private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(2);
    /** The service of a node tunnel's stream that carries a rendezvous peer (cluster 8.3). */
    static final String RELAY_SERVICE = "relay";

    private final ClusterConfig config;
    private final ClientResources resources;
    private final RedisClient client;
    private final ScheduledExecutorService thread;
    private LocalNode local;
    private StatefulRedisConnection<String, String> connection;
    private StatefulRedisPubSubConnection<String, String> events;
    private NodeTunnels tunnels;
    private NodeTunnelEndpoint endpoint;
    private volatile ClusterView view = ClusterView.EMPTY;
    /** Why the view cannot be trusted, or null while Redis answers (cluster 4.6). */
    private volatile String unavailable;
    // the heartbeat thread's own state
    private Map<String, Long> claimed = new HashMap<>();
    private Set<String> published = Set.of();
    private Set<String> relays = Set.of();
    private Instant failingSince;
    private volatile boolean closed;
    /** Set once this node's keys are its own: only then does leaving delete them. */
    private volatile boolean joined;

    public RedisCluster(ClusterConfig config) {
        this.config = config;
        RedisURI uri = RedisURI.create(config.redis());
        if (config.password() != null) {
            uri.setAuthentication(config.password().toCharArray());
        }
        uri.setTimeout(ClusterConfig.COMMAND_TIMEOUT);
        // reconnect every heartbeat at most, not Lettuce's default of up to 30 s: recovery is by itself (4.6)
        this.resources = DefaultClientResources.builder()
                .reconnectDelay(Delay.exponential(Duration.ofMillis(50), ClusterConfig.HEARTBEAT, 2,
                        TimeUnit.MILLISECONDS))
                .build();
        this.client = RedisClient.create(resources, uri);
        client.setOptions(ClientOptions.builder()
                .timeoutOptions(TimeoutOptions.enabled(ClusterConfig.COMMAND_TIMEOUT))
                // while Redis is away, commands fail at once instead of queueing behind the reconnect (cluster 4.6)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .build());
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "mproxy-cluster-" + config.nodeId());
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public void start(LocalNode local) {
        this.local = local;
        try {
            connection = client.connect();
            RedisCommands<String, String> redis = connection.sync();
            if (!writeNode(redis)) {
                throw new IllegalStateException("node id " + config.nodeId() + " is held by a live node at "
                        + redis.get(nodeKey(config.nodeId())) + " (cluster 1.4: ids are unique; pick another "
                        + "--node-id)");
            }
            events = client.connectPubSub();
            events.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String channel, String node) {
                    if (!config.nodeId().equals(node)) {
                        beatSoon(); // another node changed (cluster 1.6)
                    }
                }
            });
            events.sync().subscribe(EVENTS);
            tunnels = new NodeTunnels(config, local.workers());
            endpoint = new NodeTunnelEndpoint(config, local);
        } catch (RedisException e) {
            close();
            throw new IllegalStateException("cannot join the cluster at " + config.redis() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while joining the cluster", e);
        }
        joined = true;
        long period = ClusterConfig.HEARTBEAT.toMillis();
        thread.scheduleWithFixedDelay(this::beat, 0, period, TimeUnit.MILLISECONDS);
        logger.info("node {} joined the cluster at {} as {}", config.nodeId(), config.redis(), config.advertise());
    }

    @Override
    public void localChanged() {
        beatSoon();
    }

    private void beatSoon() {
        try {
            thread.execute(this::beat);
        } catch (RejectedExecutionException leaving) {
            // closed: this node publishes nothing more
        }
    }

    @Override
    public Set<Integer> remotePorts() {
        return view.ports().keySet();
    }

    @Override
    public void carry(Channel connection, int port) {
        carry(connection, "tcp", port, "", null);
    }

    @Override
    public boolean servesName(String host) {
        return unavailable == null && view.pickByName(host) != null;
    }

    @Override
    public void carryNamed(Channel connection, String service, int servicePort, String name, ByteBuf firstBytes) {
        carry(connection, service, servicePort, name, firstBytes);
    }

    /** To the next node that serves the name, or else the port (cluster 3.2, 5.1), over the tunnel to it. */
    private void carry(Channel connection, String service, int port, String name, ByteBuf firstBytes) {
        ClusterView v = view;
        String why = unavailable;
        String node = why != null ? null : name.isEmpty() ? v.pick(port) : v.pickByName(name);
        String what = name.isEmpty() ? "port " + port : name;
        if (node == null) {
            logger.info("closing a connection from {} for {}: {}", connection.remoteAddress(), what,
                    why != null ? why : "no device in the cluster serves " + what + " (cluster 3.3)");
            ReferenceCountUtil.release(firstBytes);
            connection.close();
            return;
        }
        tunnels.to(node, v.url(node)).addListener(f -> {
            if (!f.isSuccess()) {
                logger.info("closing a connection from {} for {}: node {} at {} cannot be reached: {}",
                        connection.remoteAddress(), what, node, v.url(node), f.cause().toString());
                ReferenceCountUtil.release(firstBytes);
                connection.close();
                return;
            }
            ((TunnelHandler) f.getNow()).openStream(connection, service, Integer.toString(port), name, firstBytes);
        });
    }

    @Override
    public boolean acceptNodeTunnel(ChannelPipeline pipeline, FullHttpRequest request) {
        return endpoint.accept(pipeline, request);
    }

    @Override
    public Future<String> relayNode(String id, boolean mayWait, EventExecutor executor) {
        Promise<String> node = executor.newPromise();
        String why = unavailable;
        if (why != null) {
            return node.setFailure(new IllegalStateException(why));
        }
        try {
            connection.async().eval(RELAY, ScriptOutputType.VALUE, new String[] {relayKey(id)}, config.nodeId(),
                    Long.toString(ClusterConfig.LEASE.toMillis()), mayWait ? "1" : "0")
                    .whenComplete((holder, failed) -> {
                        if (failed != null) {
                            node.tryFailure(new IllegalStateException("cluster state unavailable: Redis at "
                                    + redisAddress() + ": " + failed.getMessage() + " (cluster 4.6)", failed));
                        } else {
                            String held = (String) holder;
                            node.trySuccess(held == null || held.isEmpty() ? null : held);
                        }
                    });
        } catch (RedisException e) {
            node.tryFailure(e);
        }
        return node;
    }

    @Override
    public Future<Void> carryRelay(Channel connection, String node, ByteBuf request) {
        Promise<Void> carried = connection.eventLoop().newPromise();
        URI url = unavailable == null ? view.url(node) : null;
        if (url == null) {
            request.release();
            return carried.setFailure(new IllegalStateException("node " + node + " is not live in this node's view"));
        }
        tunnels.to(node, url).addListener(f -> {
            if (!f.isSuccess()) {
                logger.info("rendezvous peer {}: node {} at {} cannot be reached: {}", connection.remoteAddress(),
                        node, url, f.cause().toString());
                request.release();
                carried.tryFailure(f.cause());
                return;
            }
            ((TunnelHandler) f.getNow()).openStream(connection, RELAY_SERVICE, "0", "", request);
            carried.trySuccess(null);
        });
        return carried;
    }

    /** Why cross-node routing is off now (cluster 4.6), or null while Redis answers. */
    @Override
    public String unavailable() {
        return unavailable;
    }

    // ---- the heartbeat, on this member's thread ---------------------------------------------------------

    private void beat() {
        if (closed) {
            return;
        }
        try {
            RedisCommands<String, String> redis = connection.sync();
            if (!writeNode(redis)) {
                logger.error("node id {} is held by another live node at {}; this node publishes nothing "
                        + "(cluster 1.4)", config.nodeId(), redis.get(nodeKey(config.nodeId())));
            }
            Map<String, Long> devices = local.devices();
            for (Map.Entry<String, Long> device : devices.entrySet()) {
                String id = device.getKey();
                boolean claim = !device.getValue().equals(claimed.get(id)); // a tunnel new here claims (2.1)
                String holder = redis.eval(OWN, ScriptOutputType.VALUE, new String[] {deviceKey(id)},
                        config.nodeId(), Long.toString(ClusterConfig.LEASE.toMillis()), claim ? "1" : "0");
                if (holder != null && !holder.isEmpty()) {
                    local.dropDevice(id, "replaced by a newer connection of device " + id + " at node " + holder
                            + " (cluster 2.2)");
                }
            }
            for (String device : claimed.keySet()) {
                if (!devices.containsKey(device)) {
                    redis.eval(RELEASE, ScriptOutputType.INTEGER, new String[] {deviceKey(device)}, config.nodeId());
                }
            }
            claimed = new HashMap<>(devices);
            Set<String> waiting = local.waitingRelays(); // cluster 8.1: a waiting peer's id keeps its lease
            for (String id : waiting) {
                redis.eval(OWN, ScriptOutputType.VALUE, new String[] {relayKey(id)}, config.nodeId(),
                        Long.toString(ClusterConfig.LEASE.toMillis()), "0");
            }
            for (String id : relays) {
                if (!waiting.contains(id)) {
                    redis.eval(RELEASE, ScriptOutputType.INTEGER, new String[] {relayKey(id)}, config.nodeId());
                }
            }
            relays = waiting;
            Set<String> state = new HashSet<>(devices.keySet());
            local.ports().forEach(p -> state.add("port " + p));
            if (!state.equals(published)) {
                published = state;
                redis.publish(EVENTS, config.nodeId()); // cluster 1.6
            }
            ClusterView read = readView(redis);
            boolean portsChanged = !read.ports().keySet().equals(view.ports().keySet());
            view = read;
            if (unavailable != null) {
                logger.info("Redis at {} answers again: cross-node routing is back (cluster 4.6)", config.redis());
            }
            unavailable = null;
            failingSince = null;
            if (portsChanged) {
                local.remotePortsChanged();
            }
        } catch (RedisException e) {
            redisFailed(e);
        } catch (RuntimeException e) {
            logger.warn("cluster heartbeat failed", e);
        }
    }

    private boolean writeNode(RedisCommands<String, String> redis) {
        List<String> args = new ArrayList<>();
        args.add(config.advertise().toString());
        args.add(Long.toString(ClusterConfig.LEASE.toMillis()));
        args.add(config.nodeId());
        Set<Integer> ports = local.ports();
        args.add(Integer.toString(ports.size()));
        ports.forEach(p -> args.add(Integer.toString(p)));
        args.addAll(local.names());
        String id = config.nodeId();
        Long written = redis.eval(HEARTBEAT, ScriptOutputType.INTEGER,
                new String[] {nodeKey(id), nodeKey(id) + ":ports", nodeKey(id) + ":names", NODES},
                args.toArray(new String[0]));
        return written != null && written == 1;
    }

    /** Reads every other live node's URL and ports (cluster 1.7). */
    private ClusterView readView(RedisCommands<String, String> redis) {
        Map<String, URI> nodes = new HashMap<>();
        Map<Integer, List<String>> ports = new TreeMap<>();
        DomainMap<List<String>> names = new DomainMap<>();
        for (String node : redis.smembers(NODES)) {
            if (node.equals(config.nodeId())) {
                continue;
            }
            String url = redis.get(nodeKey(node));
            if (url == null) {
                continue; // its lease ended: dead (cluster 1.5)
            }
            nodes.put(node, URI.create(url));
            for (String port : redis.smembers(nodeKey(node) + ":ports")) {
                ports.computeIfAbsent(Integer.parseInt(port), p -> new ArrayList<>()).add(node);
            }
            for (String name : redis.smembers(nodeKey(node) + ":names")) {
                names.computeIfAbsent(name, n -> new ArrayList<>()).add(node);
            }
        }
        return new ClusterView(nodes, ports, names, System.nanoTime());
    }

    /** Redis did not answer: the view goes on until it is a lease old, then no route leaves this node (4.6). */
    private void redisFailed(RedisException e) {
        if (failingSince == null) {
            failingSince = Instant.now();
            logger.warn("Redis at {} does not answer: {}", config.redis(), e.getMessage());
        }
        long age = System.nanoTime() - view.readAtNanos();
        if (age > ClusterConfig.LEASE.toNanos() && unavailable == null) {
            unavailable = "cluster state unavailable: Redis at " + redisAddress() + " unreachable since " + failingSince
                    + " (cluster 4.6)";
            logger.warn("{}; serving this node's own devices only", unavailable);
            view = ClusterView.EMPTY;
            local.remotePortsChanged();
        }
    }

    /** Leaves: deletes this node's keys so no node routes here from now on, then closes the node tunnels. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        thread.shutdown();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
            if (joined) {
                String id = config.nodeId();
                RedisCommands<String, String> redis = connection.sync();
                for (String device : claimed.keySet()) {
                    redis.eval(RELEASE, ScriptOutputType.INTEGER, new String[] {deviceKey(device)}, id);
                }
                for (String relay : relays) {
                    redis.eval(RELEASE, ScriptOutputType.INTEGER, new String[] {relayKey(relay)}, id);
                }
                redis.del(nodeKey(id), nodeKey(id) + ":ports", nodeKey(id) + ":names");
                redis.publish(EVENTS, id);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RedisException e) {
            logger.info("leaving the cluster without deleting this node's keys (they expire within {} s): {}",
                    ClusterConfig.LEASE.toSeconds(), e.getMessage());
        }
        if (tunnels != null) {
            tunnels.close();
        }
        if (endpoint != null) {
            endpoint.close();
        }
        // the connections first, which stops their reconnecting; then the loops, waited for, so that a reconnect
        // under way when Redis is away ends on a live loop, which releases what its channel holds
        if (events != null) {
            events.closeAsync();
        }
        if (connection != null) {
            connection.closeAsync();
        }
        client.shutdown(Duration.ZERO, SHUTDOWN_TIMEOUT);
        try {
            resources.shutdown(0, SHUTDOWN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .get(SHUTDOWN_TIMEOUT.toMillis() * 2, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            logger.debug("Lettuce's event loops did not stop within {} ms", SHUTDOWN_TIMEOUT.toMillis(), e);
        }
    }

    static String nodeKey(String node) {
        return PREFIX + "node:" + node;
    }

    private String redisAddress() {
        return config.redis().getHost() + ':' + ClusterConfig.portOf(config.redis(), 6379, 6379);
    }

    static String relayKey(String id) {
        return PREFIX + "relay:" + id;
    }

    static String deviceKey(String device) {
        return PREFIX + "device:" + device;
    }

    @Override
    public String toString() {
        return config.toString();
    }
}
