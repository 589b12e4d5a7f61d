package dev.mproxy.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** The loopback interface tests run on. */
public final class Loopback {

    private Loopback() {
    }

    /**
     * A port nothing listens on right now, for a server a test starts next. Another process may take it before
     * then, so a test binds port 0 and reads the bound port wherever the product lets it. This remains for the
     * ports that must be known before anything binds them: the public ports a device token grants (a token names
     * ports 1 to 65535, and the gateway binds them only once the device claims them), and {@code mproxy record}'s
     * PROXY_PORT, which netrecord's usage takes as 1 to 65535.
     */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
