package dev.mproxy.record;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

    private static final Pattern IPV4 = Pattern.compile("([0-9]{1,3})\\.([0-9]{1,3})\\.([0-9]{1,3})\\.([0-9]{1,3})");
    /** Only text like this goes to {@code InetAddress.getByName}, which then parses it and never looks it up. */
    private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]*:[0-9a-fA-F:.]*(%[0-9A-Za-z_.-]+)?");

    public SessionInfo {
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(sessionId, "sessionId");
        labels = Map.copyOf(labels);
        userSides = Set.copyOf(userSides);
    }

    /**
     * A client or server address as a recording keeps it, from the text a header or file holds: an IP literal
     * as a resolved address, anything else unresolved; never a DNS lookup, so it may run on an event loop.
     * A port outside 0 to 65535 is kept as 0; null text is null.
     */
    public static InetSocketAddress address(String text, int port) {
        if (text == null) {
            return null;
        }
        int p = port >= 0 && port <= 0xffff ? port : 0;
        try {
            Matcher v4 = IPV4.matcher(text);
            if (v4.matches()) {
                byte[] ip = new byte[4];
                for (int i = 0; i < 4; i++) {
                    int octet = Integer.parseInt(v4.group(i + 1));
                    if (octet > 255) {
                        return InetSocketAddress.createUnresolved(text, p);
                    }
                    ip[i] = (byte) octet;
                }
                return new InetSocketAddress(InetAddress.getByAddress(ip), p);
            }
            if (IPV6.matcher(text).matches()) {
                return new InetSocketAddress(InetAddress.getByName(text), p);
            }
        } catch (UnknownHostException e) {
            // Not a literal after all.
        }
        return InetSocketAddress.createUnresolved(text, p);
    }
}
