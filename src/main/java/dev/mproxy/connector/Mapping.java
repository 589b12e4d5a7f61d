package dev.mproxy.connector;

import dev.mproxy.config.HostPorts;
import java.util.Objects;

/**
 * One mapping as {@code connect} writes it (protocol-spec/device-mappings.md §1): {@code KEY=HOST:PORT}, optionally
 * followed by {@code ,proxy=v1} or {@code ,proxy=v2}. The key is a public port ({@code --tcp}) or a name or wildcard
 * ({@code --https}, {@code --http}), checked when the mapping is added to {@link Mappings}.
 *
 * @param key     what comes before {@code =}, as written
 * @param service the local service after it, unresolved
 */
public record Mapping(String key, LocalService service) {

    /** How a {@code tcp} mapping is written. */
    public static final String TCP_SYNTAX = "PUBLIC_PORT=HOST:PORT[,proxy=v1|v2]";
    /** How an {@code https} or {@code http} mapping is written. */
    public static final String NAME_SYNTAX = "NAME=HOST:PORT[,proxy=v1|v2]";

    public Mapping {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(service, "service");
    }

    /**
     * Parses {@code KEY=HOST:PORT[,proxy=v1|v2]} (mappings 1.1, 1.2, 1.4).
     *
     * @param syntax what the message says was expected: {@link #TCP_SYNTAX} or {@link #NAME_SYNTAX}
     */
    public static Mapping parse(String value, String syntax) {
        int eq = value.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("'" + value + "' (expected: " + syntax + ')');
        }
        int comma = value.indexOf(',', eq);
        String target = comma < 0 ? value.substring(eq + 1) : value.substring(eq + 1, comma);
        ProxyProtocol proxy = comma < 0 ? ProxyProtocol.NONE : proxyOf(value.substring(comma + 1));
        return new Mapping(value.substring(0, eq), new LocalService(HostPorts.parse(target), proxy));
    }

    /** The key as a {@code tcp} mapping's public port; {@code whole} is the mapping as written, for the message. */
    public int publicPort(String whole) {
        return HostPorts.port(key, whole);
    }

    private static ProxyProtocol proxyOf(String suffix) {
        switch (suffix) {
            case "proxy=v1":
                return ProxyProtocol.V1;
            case "proxy=v2":
                return ProxyProtocol.V2;
            default:
                throw new IllegalArgumentException("'" + suffix + "' after the comma (expected: proxy=v1 or proxy=v2)");
        }
    }
}
