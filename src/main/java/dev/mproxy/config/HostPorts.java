package dev.mproxy.config;

import io.netty.util.NetUtil;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/** {@code HOST:PORT}; IPv6 hosts in brackets, {@code [::1]:7443}. */
public final class HostPorts {

    private HostPorts() {
    }

    /**
     * {@code address} as a user types it, {@code HOST:PORT} ({@code [::1]:PORT} for IPv6), without the
     * {@code /} that {@link InetSocketAddress#toString()} puts before it; any other address as it prints.
     */
    public static String format(SocketAddress address) {
        if (!(address instanceof InetSocketAddress)) {
            return String.valueOf(address);
        }
        InetSocketAddress inet = (InetSocketAddress) address;
        String host = inet.getHostString();
        if (inet.getAddress() != null && NetUtil.isValidIpV6Address(host)) {
            host = NetUtil.toAddressString(inet.getAddress()); // [::], not [0:0:0:0:0:0:0:0]
        }
        return (host.indexOf(':') >= 0 ? '[' + host + ']' : host) + ':' + inet.getPort();
    }

    /** A service to connect to: an unresolved address, so a name is looked up when it is used, not once at start. */
    public static InetSocketAddress parse(String value) {
        return parse(value, 1);
    }

    /** A local address to listen on, resolved now; port 0 picks a free port. */
    public static InetSocketAddress parseListen(String value) {
        InetSocketAddress unresolved = parse(value, 0);
        return new InetSocketAddress(unresolved.getHostString(), unresolved.getPort());
    }

    private static InetSocketAddress parse(String value, int lowestPort) {
        if (value.contains("://")) {
            throw new IllegalArgumentException("'" + value + "' is a URL (expected: HOST:PORT without a scheme, e.g. "
                    + "127.0.0.1:80)");
        }
        int colon = value.lastIndexOf(':');
        if (colon <= 0 || colon == value.length() - 1) {
            throw new IllegalArgumentException("'" + value + "' (expected: HOST:PORT, e.g. 127.0.0.1:22 or [::1]:22)");
        }
        String host = value.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw new IllegalArgumentException("'" + value + "' (expected: an IPv6 host in brackets, e.g. [::1]:22)");
        }
        return InetSocketAddress.createUnresolved(host, port(value.substring(colon + 1), value, lowestPort));
    }

    /** A port 1 to 65535; {@code whole} is the value it was cut from, quoted in the message. */
    public static int port(String text, String whole) {
        return port(text, whole, 1);
    }

    /** A port 0 to 65535: 0 asks for any free port, or (said by the caller) for none. */
    public static int portOrZero(String text) {
        return port(text, text, 0);
    }

    private static int port(String text, String whole, int lowest) {
        try {
            int port = Integer.parseInt(text);
            if (port >= lowest && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // the message below says what was expected
        }
        throw new IllegalArgumentException("'" + whole + "': port '" + text + "' (expected: " + lowest
                + " to 65535)");
    }
}
