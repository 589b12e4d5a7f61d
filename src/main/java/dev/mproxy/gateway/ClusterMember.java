package dev.mproxy.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.util.Set;

/**
 * What a gateway asks of the cluster it belongs to (protocol-spec/cluster.md): the gateway publishes its own
 * devices and asks where the others are. A gateway without one is a single node. The implementation
 * ({@code dev.mproxy.cluster}) is opened by whoever fills {@link GatewayConfig}, and the server starts and
 * closes it.
 */
public interface ClusterMember {

    /** The path of node tunnels at the device port (cluster 4.1). */
    String NODE_TUNNEL_PATH = "/cluster";

    /**
     * The header an entry adds to a rendezvous peer's upgrade request it carries to another node, naming itself
     * (cluster 8.3): where it is present, the relay id is served at this node, never carried further.
     */
    String RELAY_VIA_HEADER = "X-Mproxy-Relay-Via";

    /**
     * Joins the cluster: registers this node and starts its heartbeat (cluster 1.4). Called once the gateway's
     * listeners are bound.
     *
     * @throws IllegalStateException when another live node has this node's id, or Redis cannot be reached
     */
    void start(LocalNode local);

    /** This node's devices changed: publish at once (cluster 1.6). Callable from any thread; never blocks. */
    void localChanged();

    /** The public TCP ports other live nodes' devices hold, per the local view (cluster 3.1). */
    Set<Integer> remotePorts();

    /**
     * Carries a public connection on {@code port}, which no device of this node holds, to a node whose device
     * does (cluster 3.2); closes it when none can (cluster 3.3). {@code connection} has autoRead off.
     */
    void carry(Channel connection, int port);

    /** Whether, per the local view, a device of another node serves {@code host} (cluster 5.1). */
    boolean servesName(String host);

    /**
     * Carries a connection of the shared TLS or HTTP port for {@code name}, which no device of this node serves,
     * to a node whose device does (cluster 5.1), {@code firstBytes} (the peeked ClientHello or request head) as
     * the stream's first data; closes it, releasing them, when none can. {@code connection} has autoRead off.
     */
    void carryNamed(Channel connection, String service, int servicePort, String name, ByteBuf firstBytes);

    /**
     * Why no connection goes to another node now (cluster 4.6: the cluster's state is unavailable), for the
     * refusal of one that no device of this node serves; null while the local view is current.
     */
    String unavailable();

    /**
     * A WebSocket upgrade at {@link #NODE_TUNNEL_PATH} (cluster 4.2): when its cluster secret is right, adds the
     * handlers that make it a node tunnel at the end of {@code pipeline} and returns true (the caller passes the
     * request on); else answers it, releases it and returns false.
     */
    boolean acceptNodeTunnel(ChannelPipeline pipeline, FullHttpRequest request);

    /**
     * Where a peer of rendezvous relay id {@code id} that has no peer here is served (cluster 8.2): completes on
     * {@code executor} with null for this node (no node holds the id; a peer that may wait, {@code mayWait},
     * claims it for this node), else with the id of the node where its peer waits; fails, saying why, when the
     * cluster's state cannot be read (cluster 8.5).
     */
    Future<String> relayNode(String id, boolean mayWait, EventExecutor executor);

    /**
     * Carries a rendezvous peer's connection to {@code node} as a stream of the node tunnel to it, with
     * {@code request} (its upgrade request) as the stream's first bytes (cluster 8.3). Completes once the stream is
     * opened; fails when the node cannot be reached, having released {@code request} and left the connection
     * open for the caller to answer. {@code connection} has autoRead off and no HTTP handlers left.
     */
    Future<Void> carryRelay(Channel connection, String node, ByteBuf request);

    /** Leaves the cluster: stops the heartbeat, deletes this node's keys and closes its node tunnels. */
    void close();
}
