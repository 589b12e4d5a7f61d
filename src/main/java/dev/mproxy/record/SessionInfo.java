package dev.mproxy.record;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

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
 * @param protocol what the stream carries: MeshCentral's {@code p}, or our service ({@code tcp}, {@code https},
 *     {@code http}); null when unknown
 * @param labels further facts, kept as strings (device, service name, gateway port); never null
 */
public record SessionInfo(Instant start, String sessionId, String user, InetSocketAddress client,
        InetSocketAddress server, String protocol, Map<String, String> labels) {

    public SessionInfo {
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(sessionId, "sessionId");
        labels = Map.copyOf(labels);
    }
}
