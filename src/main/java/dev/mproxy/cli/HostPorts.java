package dev.mproxy.cli;

import java.net.InetSocketAddress;

/** {@code HOST:PORT} on the command line; IPv6 hosts in brackets, {@code [::1]:7443}. */
final class HostPorts {

    private HostPorts() {
    }

    /** An unresolved address, so a name is looked up when it is used, not once at start. */
    static InetSocketAddress parse(String value) {
        return parse(value, 1);
    }

    /** A local address to listen on; port 0 picks a free port. */
    static InetSocketAddress parseListen(String value) {
        InetSocketAddress unresolved = parse(value, 0);
        return new InetSocketAddress(unresolved.getHostString(), unresolved.getPort());
    }

    private static InetSocketAddress parse(String value, int lowestPort) {
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

    static int port(String text, String whole) {
        return port(text, whole, 1);
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
