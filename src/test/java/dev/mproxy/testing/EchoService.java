package dev.mproxy.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;

/** A blocking echo server on loopback that half-closes back after its input ends. */
public final class EchoService implements AutoCloseable {

    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool();

    public EchoService() throws IOException {
        this(new ServerSocket(0, 256, InetAddress.getLoopbackAddress()));
    }

    /**
     * The same behind TLS with {@code tls}'s key, as a device's own TLS server behind the shared TLS port (routing
     * 2.1). TLS 1.3 half-closes (close_notify), so a client's end of input is seen as with plain TCP.
     */
    public static EchoService tls(SSLContext tls) throws IOException {
        return new EchoService(tls.getServerSocketFactory().createServerSocket(0, 256,
                InetAddress.getLoopbackAddress()));
    }

    private EchoService(ServerSocket server) {
        this.server = server;
        threads.submit(() -> {
            while (!server.isClosed()) {
                Socket s = server.accept();
                threads.submit(() -> {
                    try (s) {
                        s.getInputStream().transferTo(s.getOutputStream());
                        s.shutdownOutput();
                    }
                    return null;
                });
            }
            return null;
        });
    }

    public InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", server.getLocalPort());
    }

    @Override
    public void close() throws IOException {
        server.close();
        threads.shutdownNow();
    }
}
