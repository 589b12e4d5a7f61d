package dev.mproxy.gateway;

/** An inclusive range of TCP ports, written {@code LOW-HIGH} or a single port. */
public record PortRange(int low, int high) {

    /** Unprivileged ports: the default of {@code --allow-ports}. */
    public static final PortRange UNPRIVILEGED = new PortRange(1024, 65535);

    public PortRange {
        if (low < 1 || high > 65535 || low > high) {
            throw new IllegalArgumentException("port range " + low + '-' + high + " (expected: 1 <= LOW <= HIGH"
                    + " <= 65535)");
        }
    }

    /** Parses {@code 1024-65535} or {@code 8080}. */
    public static PortRange parse(String text) {
        String[] parts = text.trim().split("-", -1);
        try {
            if (parts.length == 1) {
                int port = Integer.parseInt(parts[0]);
                return new PortRange(port, port);
            }
            if (parts.length == 2) {
                return new PortRange(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
            }
        } catch (NumberFormatException e) {
            // fall through to the message below
        }
        throw new IllegalArgumentException("port range \"" + text + "\" (expected: LOW-HIGH or PORT)");
    }

    public boolean contains(int port) {
        return port >= low && port <= high;
    }

    @Override
    public String toString() {
        return low == high ? Integer.toString(low) : low + "-" + high;
    }
}
