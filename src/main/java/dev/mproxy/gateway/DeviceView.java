package dev.mproxy.gateway;

import dev.mproxy.tunnel.StreamSnapshot;
import dev.mproxy.tunnel.TunnelMeter;
import io.netty.util.concurrent.Future;
import java.net.SocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.SortedSet;

/** A connected device, read-only but for {@link #disconnect}: what the admin API lists. Callable from any thread. */
public interface DeviceView {

    /** The device id (its token's {@code sub}). */
    String id();

    /** Where its tunnel comes from. */
    SocketAddress address();

    /** When it authenticated. */
    Instant since();

    /** The public TCP ports its tokens grant (those the gateway refused included: see the grant). */
    SortedSet<Integer> ports();

    /** The names (and {@code *.} wildcards) it serves. */
    List<String> names();

    /** The {@code jti} of each token accepted on its tunnel; a token minted before jti existed has none. */
    List<String> tokenIds();

    /** Its tunnel's counters: streams, bytes, pauses, round trip. */
    TunnelMeter meter();

    /** Its streams as they are now. */
    Future<List<StreamSnapshot>> streams();

    /**
     * Closes its tunnel with WebSocket status 1008 (policy violation) and {@code reason}; its streams are reset.
     * The future completes once the tunnel is closed.
     */
    Future<Void> disconnect(String reason);
}
