package dev.mproxy.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** The loopback interface tests run on. */
public final class Loopback {

    private Loopback() {
    }

    /** A port nothing listens on right now, for a server a test starts next. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
