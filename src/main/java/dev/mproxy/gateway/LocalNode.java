package dev.mproxy.gateway;

import dev.mproxy.protocol.StreamAddress;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import java.util.Map;
import java.util.Set;

/** The gateway as its {@link ClusterMember} sees it: a narrow view of its registry, and what it may ask of it. */
public interface LocalNode {

    /** The device port's address, this node's own end of node tunnels. */
    java.net.InetSocketAddress deviceAddress();

    /** The loops node tunnels and their streams run on: the gateway's own. */
    EventLoopGroup workers();

    /**
     * The ids of the devices connected here, each with the number of its tunnel: a device that connects again
     * gets a new number, and so claims its ownership anew (cluster 2.1).
     */
    Map<String, Long> devices();

    /** The public TCP ports the devices connected here hold. */
    Set<Integer> ports();

    /** The names the devices connected here serve. */
    Set<String> names();

    /**
     * Whether a device of this node serves a stream for {@code servicePort} and {@code name}: by the name when
     * there is one (cluster 5.1), else by the public TCP port (cluster 4.3).
     */
    boolean serves(int servicePort, String name);

    /**
     * Gives {@code connection} to a device of this node that serves the stream (as {@link #serves}), as a stream
     * whose header names {@code client}, {@code service}, {@code servicePort} and {@code name} (cluster 4.3);
     * false, and nothing done, when none does. {@code connection} has autoRead off.
     */
    boolean openLocal(Channel connection, StreamAddress client, String service, int servicePort, String name);

    /** Whether the device port speaks TLS: a rendezvous peer carried here is handed to it so (cluster 8.3). */
    boolean deviceTls();

    /** The rendezvous relay ids whose first peer waits here for its second (cluster 8.1). */
    Set<String> waitingRelays();

    /** The local view's ports changed: listen on every port a device of the cluster holds (cluster 3.1). */
    void remotePortsChanged();

    /** Another node took the device over (cluster 2.2): close its tunnel here with {@code reason}. */
    void dropDevice(String deviceId, String reason);
}
