package dev.mproxy.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A TCP forwarder on loopback to {@code target} that a test can cut: every connection through it is closed and
 * new ones are refused, as a network partition would leave one process cut off from a server.
 */
public final class CuttableLink implements AutoCloseable {

    private final ServerSocket server = new ServerSocket(0, 64, InetAddress.getLoopbackAddress());
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    public CuttableLink(InetSocketAddress target) throws IOException {
        threads.submit(() -> {
            while (!server.isClosed()) {
                Socket in = server.accept();
                Socket out = new Socket(target.getAddress(), target.getPort());
                sockets.add(in);
                sockets.add(out);
                threads.submit(() -> pipe(in, out));
                threads.submit(() -> pipe(out, in));
            }
            return null;
        });
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Closes the listener and every connection through it. */
    public void cut() throws IOException {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
    }

    @Override
    public void close() throws IOException {
        cut();
        threads.shutdownNow();
    }

    private static Void pipe(Socket from, Socket to) {
        try {
            from.getInputStream().transferTo(to.getOutputStream());
            to.shutdownOutput();
        } catch (IOException closed) {
            // cut, or the other side closed: the pair ends either way
        }
        return null;
    }
}
