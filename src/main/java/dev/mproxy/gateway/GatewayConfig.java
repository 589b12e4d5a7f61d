package dev.mproxy.gateway;

import dev.mproxy.auth.TokenVerifier;
import dev.mproxy.relay.Recorder;
import dev.mproxy.rendezvous.Rendezvous;
import dev.mproxy.tunnel.TunnelLimits;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything a {@link GatewayServer} needs, resolved: the device port, TLS (null for {@code --no-tls}),
 * the token verifier, where public ports bind and which are allowed, and the tunnel's limits and timers.
 *
 * @param listen           the device port ({@code --listen}); port 0 picks a free one
 * @param tls              the server TLS context, or null behind another TLS terminator
 * @param verifier         checks device tokens
 * @param publicBindHost   the host public TCP ports bind to ({@code --bind})
 * @param allowedPorts     the public ports a token may claim ({@code --allow-ports})
 * @param limits           per-tunnel limits
 * @param pingInterval     WebSocket ping after this long without sending
 * @param pingTimeout      tunnel closed after this long without receiving
 * @param handshakeTimeout WebSocket upgrade and authentication must finish within this; also how long the
 *                         shared TLS and HTTP ports wait for a ClientHello or request head
 * @param tlsPort          the shared TLS port routed by SNI ({@code --tls-port}) on {@code publicBindHost};
 *                         null for none, 0 picks a free one
 * @param httpPort         the shared HTTP port routed by Host ({@code --http-port}); null for none, 0 picks one
 * @param relayHold        how long a rendezvous relay peer waits for its pair ({@code --relay-hold},
 *                         protocol-spec/rendezvous.md 2.3)
 * @param recorder         records every stream ({@code --record}); null for none. The server closes it when it
 *                         stops, after its tunnels, so every recording is finished
 * @param relayGuessableIds whether a rendezvous peer without a token may use a relay id in MeshCentral's shape,
 *                         which a stranger could guess ({@code --relay-guessable-ids}, rendezvous 1.2)
 * @param relayMaxMessage  the longest message a rendezvous peer may send, in bytes; 0 for no limit
 *                         ({@code --relay-max-message}, rendezvous 1.5)
 */
public record GatewayConfig(InetSocketAddress listen, SslContext tls, TokenVerifier verifier, String publicBindHost,
                            PortRange allowedPorts, TunnelLimits limits, Duration pingInterval, Duration pingTimeout,
                            Duration handshakeTimeout, Integer tlsPort, Integer httpPort, Duration relayHold,
                            Recorder recorder, boolean relayGuessableIds, long relayMaxMessage) {

    /** Relay ids in MeshCentral's shape for peers with a token only; relay messages of any size. */
    public GatewayConfig(InetSocketAddress listen, SslContext tls, TokenVerifier verifier, String publicBindHost,
                         PortRange allowedPorts, TunnelLimits limits, Duration pingInterval, Duration pingTimeout,
                         Duration handshakeTimeout, Integer tlsPort, Integer httpPort, Duration relayHold,
                         Recorder recorder) {
        this(listen, tls, verifier, publicBindHost, allowedPorts, limits, pingInterval, pingTimeout,
                handshakeTimeout, tlsPort, httpPort, relayHold, recorder, false, 0);
    }

    /** With the rendezvous relay's default hold (15 s), recording nothing. */
    public GatewayConfig(InetSocketAddress listen, SslContext tls, TokenVerifier verifier, String publicBindHost,
                         PortRange allowedPorts, TunnelLimits limits, Duration pingInterval, Duration pingTimeout,
                         Duration handshakeTimeout, Integer tlsPort, Integer httpPort) {
        this(listen, tls, verifier, publicBindHost, allowedPorts, limits, pingInterval, pingTimeout,
                handshakeTimeout, tlsPort, httpPort, Rendezvous.DEFAULT_HOLD, null);
    }

    /** Without the shared TLS and HTTP ports: public TCP ports only. */
    public GatewayConfig(InetSocketAddress listen, SslContext tls, TokenVerifier verifier, String publicBindHost,
                         PortRange allowedPorts, TunnelLimits limits, Duration pingInterval, Duration pingTimeout,
                         Duration handshakeTimeout) {
        this(listen, tls, verifier, publicBindHost, allowedPorts, limits, pingInterval, pingTimeout,
                handshakeTimeout, null, null);
    }

    public GatewayConfig {
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(verifier, "verifier");
        Objects.requireNonNull(publicBindHost, "publicBindHost");
        Objects.requireNonNull(allowedPorts, "allowedPorts");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(relayHold, "relayHold");
        if (relayMaxMessage < 0) {
            throw new IllegalArgumentException("relay max message: " + relayMaxMessage + " (expected: >= 0, 0 for "
                    + "no limit)");
        }
        if (pingTimeout.compareTo(pingInterval) <= 0) {
            throw new IllegalArgumentException("ping timeout (" + pingTimeout + ") must exceed the ping interval ("
                    + pingInterval + ')');
        }
    }
}
