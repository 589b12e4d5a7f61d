package dev.mproxy.record;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What a recording knows about its stream before the first byte: when its clock starts, who the two sides are
 * and what the stream is. Formats keep what they can: {@code .mcrec} writes all of it as its first block;
 * netrecord keeps none (its readers take the start from elsewhere and leave the addresses null).
 *
 * @param start the instant event times count from (netrecord: when the recorder started)
 * @param sessionId an id unique among recordings, e.g. the stream's or relay pair's
 * @param user who the stream belongs to: the device id or token subject; null when unknown
 * @param client the client's address (the public client, the connecting peer); null when unknown
 * @param server the server's address (the device's local service, the record proxy's target); null when unknown
 * @param protocol MeshCentral's protocol number (a rendezvous peer's {@code p}: 1 terminal, 2 desktop, ...) as
 *     decimal text; null when there is none. Our own services go in a label ({@code service})
 * @param labels further facts, kept as strings (device, service name, gateway port); never null
 * @param userSides the sides MeshCentral would call the user's: those whose data an {@code .mcrec} file flags
 *     0x2 (recording 3.3). The client for a tunnel stream or the record proxy; for a rendezvous pair, each peer
 *     that said {@code browser=1}, so none, one or both
 */
public record SessionInfo(Instant start, String sessionId, String user, InetSocketAddress client,
        InetSocketAddress server, String protocol, Map<String, String> labels, Set<Direction> userSides) {

    /** The client is the user's side, as at a tunnel or the record proxy. */
    public SessionInfo(Instant start, String sessionId, String user, InetSocketAddress client,
            InetSocketAddress server, String protocol, Map<String, String> labels) {
        this(start, sessionId, user, client, server, protocol, labels, EnumSet.of(Direction.FROM_CLIENT));
    }

    public SessionInfo {
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(sessionId, "sessionId");
        labels = Map.copyOf(labels);
        userSides = Set.copyOf(userSides);
    }
}
