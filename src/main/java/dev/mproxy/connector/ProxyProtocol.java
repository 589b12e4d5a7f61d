package dev.mproxy.connector;

import dev.mproxy.protocol.StreamAddress;
import dev.mproxy.tunnel.StreamErrors;
import dev.mproxy.tunnel.StreamException;
import dev.mproxy.tunnel.StreamRequest;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import java.util.Locale;

/**
 * Whether a local service first receives a HAProxy PROXY protocol header naming the public client
 * (protocol-spec/device-mappings.md §4), and which version.
 */
public enum ProxyProtocol {

    /** No header: the local service receives the stream's bytes only. */
    NONE(null),
    /** The text header, {@code PROXY TCP4 203.0.113.9 0.0.0.0 50010 443\r\n}. */
    V1(HAProxyProtocolVersion.V1),
    /** The binary header. */
    V2(HAProxyProtocolVersion.V2);

    private final HAProxyProtocolVersion version;

    ProxyProtocol(HAProxyProtocolVersion version) {
        this.version = version;
    }

    /**
     * The header for {@code request}, or null for {@link #NONE}; the caller owns the message. Source: the public
     * client of the stream id. Destination: the unspecified address of the same family and the gateway's public
     * port, because the M-PROXY header does not carry the gateway's address (mappings 4.4).
     *
     * @throws StreamException {@code E_PROTOCOL} if the stream id is not an IP address and port (mappings 4.6)
     */
    /** A client's port: never 0 for TCP, and PROXY v1 readers such as Netty's refuse 0 (mappings 4.6). */
    private static int port(String text, int lowest) {
        int port = Mappings.portOf(text);
        if (port < lowest) {
            throw new IllegalArgumentException("port '" + text + "' (expected: decimal digits " + lowest + " to 65535, "
                    + "no sign or leading zero)");
        }
        return port;
    }

    HAProxyMessage header(StreamRequest request) throws StreamException {
        if (version == null) {
            return null;
        }
        StreamAddress client = request.client();
        HAProxyProxiedProtocol tcp = "IPv4".equals(client.family()) ? HAProxyProxiedProtocol.TCP4
                : "IPv6".equals(client.family()) ? HAProxyProxiedProtocol.TCP6 : null;
        try {
            if (tcp == null) {
                throw new IllegalArgumentException("family '" + client.family() + "' (expected: IPv4 or IPv6)");
            }
            if (client.address().indexOf('%') >= 0 || client.address().indexOf('[') >= 0) {
                // Netty takes both for IPv6; a PROXY header has room for neither (mappings 4.6)
                throw new IllegalArgumentException("address '" + client.address() + "' (expected: an IP address "
                        + "without brackets or zone)");
            }
            String unspecified = tcp == HAProxyProxiedProtocol.TCP4 ? "0.0.0.0" : "::";
            return new HAProxyMessage(version, HAProxyCommand.PROXY, tcp, client.address(), unspecified,
                    port(client.port(), 1), port(request.servicePort(), 0));
        } catch (IllegalArgumentException e) {
            throw new StreamException(StreamErrors.PROTOCOL, "cannot write a PROXY " + name().toLowerCase(Locale.ROOT)
                    + " header for " + request + ": " + e.getMessage());
        }
    }
}
