package dev.mproxy.connector;

import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.Objects;

/**
 * Where the device opens a mapped stream: a local {@code HOST:PORT}, resolved at each connect, and whether the
 * connection starts with a PROXY protocol header.
 *
 * @param address the local service; usually unresolved, so a name is looked up when it is used
 * @param proxy   the PROXY protocol header it gets first, or {@link ProxyProtocol#NONE}
 */
public record LocalService(InetSocketAddress address, ProxyProtocol proxy) {

    public LocalService {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(proxy, "proxy");
    }

    /** As the mapping was typed: {@code 127.0.0.1:22}, {@code 127.0.0.1:80,proxy=v1}. */
    @Override
    public String toString() {
        return hostPort() + (proxy == ProxyProtocol.NONE ? "" : ",proxy=" + proxy.name().toLowerCase(Locale.ROOT));
    }

    /** {@code HOST:PORT}, as node prints it in connect errors. */
    public String hostPort() {
        return address.getHostString() + ':' + address.getPort();
    }
}
