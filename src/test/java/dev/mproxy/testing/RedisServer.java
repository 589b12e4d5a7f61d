package dev.mproxy.testing;

import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} (the Debian package; {@code .ci/run} installs it) on a free loopback port, with
 * nothing saved to disk, for the cluster's tests. It can be stopped and started again on the same port.
 */
public final class RedisServer implements AutoCloseable {

    private static final String EXECUTABLE = "redis-server";

    private final int port;
    private final Path dir;
    private Process process;

    private RedisServer(int port, Path dir) {
        this.port = port;
        this.dir = dir;
    }

    /** Starts one; fails, saying why, when {@code redis-server} is not installed. */
    public static RedisServer start() throws IOException {
        if (!onPath()) {
            throw new IllegalStateException("redis-server is not on the PATH (expected: the Debian package "
                    + "redis-server, which .ci/run installs)");
        }
        RedisServer server = new RedisServer(Loopback.freePort(), Files.createTempDirectory("mproxy-redis"));
        server.restart();
        return server;
    }

    /** Starts it again on its port after {@link #stop()}, and waits until it accepts connections. */
    public void restart() throws IOException {
        process = new ProcessBuilder(List.of(EXECUTABLE, "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toString()))
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.log").toFile())
                .start();
        await("redis-server accepting on port " + port).atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(50)).until(this::accepts);
    }

    /** Stops it (SIGTERM) and waits until it has exited. */
    public void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }

    public URI uri() {
        return URI.create("redis://127.0.0.1:" + port);
    }

    public int port() {
        return port;
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    private boolean accepts() {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean onPath() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, EXECUTABLE))) {
                return true;
            }
        }
        return false;
    }
}
