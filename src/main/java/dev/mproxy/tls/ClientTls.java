package dev.mproxy.tls;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.NetUtil;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/**
 * A client {@link SslContext} together with how it checks the server, made by {@link TlsContexts}. Create
 * each connection's handler with {@link #newHandler}: it gives the engine the host name to verify (and to
 * send as SNI), which {@code sslContext().newHandler(alloc)} would not.
 *
 * <pre>{@code
 * ClientTls tls = TlsContexts.clientPinned(fingerprint);
 * bootstrap.handler(new ChannelInitializer<SocketChannel>() {
 *     protected void initChannel(SocketChannel ch) {
 *         ch.pipeline().addLast(tls.newHandler(ch.alloc(), host, port), ...);
 *     }
 * });
 * }</pre>
 */
public final class ClientTls {

    private final SslContext sslContext;
    private final boolean verifiesHostname;
    private final String description;

    ClientTls(SslContext sslContext, boolean verifiesHostname, String description) {
        this.sslContext = sslContext;
        this.verifiesHostname = verifiesHostname;
        this.description = description;
    }

    /**
     * A handler for one connection to {@code host}:{@code port}. When {@link #verifiesHostname()}, the server's
     * certificate must name {@code host}: a DNS name, or an IP literal (brackets allowed) matched against the
     * certificate's IP addresses.
     *
     * @param host the name the user asked for, which is not necessarily the address connected to
     */
    public SslHandler newHandler(ByteBufAllocator alloc, String host, int port) {
        requireNonNull(alloc, "alloc");
        requireNonNull(host, "host");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 1 ~ 65535)");
        }
        String peerHost = host.length() > 2 && host.startsWith("[") && host.endsWith("]")
                ? host.substring(1, host.length() - 1) // URI.getHost() keeps the brackets of IPv6 literals
                : host;
        SslHandler handler = sslContext.newHandler(alloc, peerHost, port);
        SSLEngine engine = handler.engine();
        SSLParameters parameters = engine.getSSLParameters();
        // Set on the engine itself, so the check does not hang on a provider default.
        parameters.setEndpointIdentificationAlgorithm(verifiesHostname ? "HTTPS" : null);
        SNIHostName sni = sniName(peerHost);
        if (sni != null) {
            // JSSE and Netty's OpenSSL engine send SNI on their own only for names with a dot; a server that
            // routes by SNI (telebit's relay serves its own WebSocket only to its names) needs it for any name
            parameters.setServerNames(List.of(sni));
        }
        engine.setSSLParameters(parameters);
        return handler;
    }

    /** The SNI name for {@code host}, or null for an IP literal or a name SNI cannot carry (RFC 6066 §3). */
    static SNIHostName sniName(String host) {
        if (NetUtil.isValidIpV4Address(host) || NetUtil.isValidIpV6Address(host)) {
            return null;
        }
        String name = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        try {
            return new SNIHostName(name);
        } catch (IllegalArgumentException notAHostName) {
            return null;
        }
    }

    /**
     * The context itself, for APIs that want one. Handlers it makes without a peer host cannot verify the
     * host name; prefer {@link #newHandler}.
     */
    public SslContext sslContext() {
        return sslContext;
    }

    /** Whether the server's certificate must name the host (CA and default trust), or not (pinned, insecure). */
    public boolean verifiesHostname() {
        return verifiesHostname;
    }

    /** What the server is trusted by, e.g. {@code "pinned SHA-256 3F:A0:..."}, for logs. */
    @Override
    public String toString() {
        return description;
    }
}
