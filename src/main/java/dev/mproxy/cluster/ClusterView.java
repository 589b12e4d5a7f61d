package dev.mproxy.cluster;

import dev.mproxy.auth.DomainMap;
import dev.mproxy.protocol.MproxyConstants;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What a node routes with (cluster 1.7): the other live nodes, their URLs, and which of them hold each public
 * TCP port. Immutable; replaced whole after each read of Redis.
 */
final class ClusterView {

    static final ClusterView EMPTY = new ClusterView(Map.of(), Map.of(), new DomainMap<>(), 0);

    private final Map<String, URI> nodes;
    private final Map<Integer, List<String>> ports;
    private final DomainMap<List<String>> names;
    private final long readAtNanos;
    private final AtomicInteger next = new AtomicInteger();

    /** {@code names} is the view's own: it is not changed after. */
    ClusterView(Map<String, URI> nodes, Map<Integer, List<String>> ports, DomainMap<List<String>> names,
                long readAtNanos) {
        this.nodes = Map.copyOf(nodes);
        this.ports = Map.copyOf(ports);
        this.names = names;
        this.readAtNanos = readAtNanos;
    }

    Map<Integer, List<String>> ports() {
        return ports;
    }

    URI url(String node) {
        return nodes.get(node);
    }

    /** The next node in turn that holds {@code port}, or null (cluster 3.2). */
    String pick(int port) {
        List<String> holders = ports.get(port);
        return holders == null ? null : holders.get(Math.floorMod(next.getAndIncrement(), holders.size()));
    }

    /** The next node in turn whose devices serve {@code host}: the exact name, else the longest wildcard (5.1). */
    String pickByName(String host) {
        List<String> holders = host.length() > MproxyConstants.MAX_ROUTED_NAME_LENGTH ? null : names.match(host);
        return holders == null ? null : holders.get(Math.floorMod(next.getAndIncrement(), holders.size()));
    }

    /** When Redis was last read for this view, in {@link System#nanoTime()}'s time. */
    long readAtNanos() {
        return readAtNanos;
    }

    @Override
    public String toString() {
        return "ClusterView(nodes: " + nodes + ", ports: " + ports + ')';
    }
}
