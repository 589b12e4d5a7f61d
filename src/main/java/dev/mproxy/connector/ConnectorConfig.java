package dev.mproxy.connector;

import dev.mproxy.relay.Recorder;
import dev.mproxy.tls.ClientTls;
import dev.mproxy.tunnel.TunnelLimits;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * What a {@link Connector} needs: the gateway's URI ({@code wss://HOST:PORT/} or {@code ws://} when it runs
 * behind another TLS terminator), the token, how to trust the gateway, and the local services it maps.
 *
 * @param gateway      the gateway's WebSocket URI
 * @param token        the device token (sent as {@code Authorization: Bearer})
 * @param tls          how to trust a {@code wss} gateway; null for {@code ws}
 * @param mappings     the local services by public port and by name ({@code --tcp}, {@code --https}, {@code --http})
 * @param limits       tunnel limits
 * @param pingInterval WebSocket ping after this long without sending
 * @param pingTimeout  reconnect after this long without receiving
 * @param maxBackoff   the longest wait between reconnects
 * @param recorder     records every stream ({@code --record}); null for none. The connector closes it when closed
 */
public record ConnectorConfig(URI gateway, String token, ClientTls tls, Mappings mappings,
                              TunnelLimits limits, Duration pingInterval, Duration pingTimeout, Duration maxBackoff,
                              Recorder recorder) {

    public ConnectorConfig {
        Objects.requireNonNull(gateway, "gateway");
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(mappings, "mappings");
        boolean secure = "wss".equalsIgnoreCase(gateway.getScheme());
        if (!secure && !"ws".equalsIgnoreCase(gateway.getScheme())) {
            throw new IllegalArgumentException("gateway " + gateway + " (expected: wss://HOST:PORT or ws://HOST:PORT)");
        }
        if (secure && tls == null) {
            throw new IllegalArgumentException("a wss gateway needs a TLS trust setting");
        }
    }

    /** Recording nothing. */
    public ConnectorConfig(URI gateway, String token, ClientTls tls, Mappings mappings,
                           TunnelLimits limits, Duration pingInterval, Duration pingTimeout, Duration maxBackoff) {
        this(gateway, token, tls, mappings, limits, pingInterval, pingTimeout, maxBackoff, null);
    }

    /** Only {@code tcp} mappings: public port → local service, without PROXY headers. */
    public ConnectorConfig(URI gateway, String token, ClientTls tls, Map<Integer, InetSocketAddress> tcp,
                           TunnelLimits limits, Duration pingInterval, Duration pingTimeout, Duration maxBackoff) {
        this(gateway, token, tls, Mappings.tcp(tcp), limits, pingInterval, pingTimeout, maxBackoff, null);
    }

    /** The port in the URI, or the scheme's default. */
    public int gatewayPort() {
        return gateway.getPort() > 0 ? gateway.getPort() : "wss".equalsIgnoreCase(gateway.getScheme()) ? 443 : 80;
    }
}
