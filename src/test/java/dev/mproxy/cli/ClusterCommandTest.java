package dev.mproxy.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mproxy.cluster.ClusterConfig;
import dev.mproxy.testing.EchoService;
import dev.mproxy.testing.Loopback;
import dev.mproxy.testing.RedisServer;
import dev.mproxy.testing.TestSecrets;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code mproxy gateway --cluster}: nodes as the command line starts them, one a real process killed with SIGKILL. */
@Timeout(120)
class ClusterCommandTest {

    private static final Pattern STARTED = Pattern.compile("mproxy gateway: devices connect to");
    private static final Pattern SERVING = Pattern.compile("serving as device pi");

    @TempDir
    Path tmp;
    private RedisServer redis;
    private EchoService echo;
    private Path secretFile;
    private Path clusterSecretFile;
    private final List<RunningCommand> running = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        redis = RedisServer.start();
        echo = new EchoService();
        secretFile = Files.writeString(tmp.resolve("secret"), HexFormat.of().formatHex(TestSecrets.randomKey()));
        clusterSecretFile = Files.writeString(tmp.resolve("cluster-secret"),
                HexFormat.of().formatHex(TestSecrets.randomKey()));
    }

    @AfterEach
    void stop() throws Exception {
        for (RunningCommand command : running) {
            command.stop();
        }
        echo.close();
        redis.close();
    }

    @Test
    void aNodeKilledWithSigkillResetsItsStreamsItsDeviceMovesToAnotherNodeAndItsLeaseEnds() throws Exception {
        int port = Loopback.freePort();
        int devicePort1 = Loopback.freePort(); // advertised before they are bound
        int devicePort2 = Loopback.freePort();
        Process one = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "gateway", "--no-tls", "--listen", "127.0.0.1:" + devicePort1, "--bind", "127.0.0.1",
                "--tls-port", "0", "--http-port", "0", "--data-dir", tmp.resolve("one").toString(),
                "--secret-file", secretFile.toString(), "--cluster", redis.uri().toString(), "--node-id", "one",
                "--advertise", "ws://127.0.0.1:" + devicePort1, "--cluster-secret-file", clusterSecretFile.toString())
                .redirectError(tmp.resolve("one.err").toFile())
                .start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(one.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = out.readLine()) != null && !STARTED.matcher(line).find()) {
                // nothing before the banner
            }
            assertTrue(line != null, "node one started; stderr: " + Files.readString(tmp.resolve("one.err")));
            RunningCommand two = start("gateway", "--no-tls", "--listen", "127.0.0.1:" + devicePort2,
                    "--bind", "127.0.0.2",
                    "--tls-port", "0", "--http-port", "0", "--data-dir", tmp.resolve("two").toString(),
                    "--secret-file", secretFile.toString(), "--cluster", redis.uri().toString(), "--node-id", "two",
                    "--advertise", "ws://127.0.0.1:" + devicePort2, "--cluster-secret-file", clusterSecretFile.toString());
            two.awaitLine(STARTED);
            String token = Cli.run("token", "--secret-file", secretFile.toString(), "--device", "pi",
                    "--port", Integer.toString(port)).out().trim();
            // the device knows both nodes (cluster 7.1), and dials node one first
            start("connect", "--gateway", "ws://127.0.0.1:" + devicePort1, "--gateway", "ws://127.0.0.1:" + devicePort2,
                    "--token", token, "--tcp", port + "=127.0.0.1:" + echo.address().getPort()).awaitLine(SERVING);

            await("node two serves port " + port).atMost(Duration.ofSeconds(20)).ignoreExceptions()
                    .until(() -> echoes("127.0.0.2", port));
            try (Socket through = new Socket(InetAddress.getByName("127.0.0.2"), port)) {
                through.setSoTimeout(10_000);
                through.getOutputStream().write(42);
                assertEquals(42, through.getInputStream().read()); // a stream over the node tunnel, in flight

                long killed = System.nanoTime();
                one.destroyForcibly().onExit().get(10, TimeUnit.SECONDS); // SIGKILL
                through.setSoTimeout(3_000);
                try {
                    assertEquals(-1, through.getInputStream().read()); // cluster 4.5: reset with its tunnel
                } catch (SocketTimeoutException e) {
                    throw new AssertionError("a stream through the killed node still open 3 s after the kill");
                } catch (SocketException reset) {
                    // reset: the stream did not end cleanly, as it should not
                }
                // the device moves to node two within its backoff (about 1 s after a granted tunnel), and is served there
                await("the device served at node two again").atMost(Duration.ofSeconds(20)).ignoreExceptions()
                        .until(() -> echoes("127.0.0.2", port));
                long back = System.nanoTime() - killed;
                try (RedisClient client = RedisClient.create(redis.uri().toString());
                     StatefulRedisConnection<String, String> state = client.connect()) {
                    assertEquals("two", state.sync().get("mproxy:device:pi")); // its new tunnel claimed it (2.1)
                    await("node one's keys expired").atMost(Duration.ofSeconds(10))
                            .until(() -> state.sync().get("mproxy:node:one") == null);
                }
                long gone = System.nanoTime() - killed;
                System.out.printf("cluster: after a SIGKILL of the device's node, the device was served at another "
                        + "node %d ms later; the dead node's keys were gone %d ms after the kill (bound: lease "
                        + "+ heartbeat = %d ms, cluster 6)%n", back / 1_000_000, gone / 1_000_000,
                        ClusterConfig.LEASE.plus(ClusterConfig.HEARTBEAT).toMillis());
                assertTrue(gone <= ClusterConfig.LEASE.plus(ClusterConfig.HEARTBEAT).plusSeconds(3).toNanos());
            }
        } finally {
            one.destroyForcibly();
        }
    }

    @Test
    void clusterOptionsWithoutClusterAreAUsageError() {
        Cli.Run run = Cli.run("gateway", "--no-tls", "--node-id", "one", "--data-dir", tmp.resolve("d").toString());
        assertNotEquals(0, run.exitCode());
        assertTrue(run.err().contains("need --cluster"), run.err());
    }

    @Test
    void clusterWithoutASecretFileIsAUsageError() {
        Cli.Run run = Cli.run("gateway", "--no-tls", "--cluster", redis.uri().toString(),
                "--data-dir", tmp.resolve("d").toString());
        assertNotEquals(0, run.exitCode());
        assertTrue(run.err().contains("--cluster-secret-file"), run.err());
    }

    @Test
    void aPlainWsAdvertisedUrlBeyondLoopbackIsAUsageErrorWithoutClusterCleartext() { // cluster 4.8
        Cli.Run run = Cli.run("gateway", "--no-tls", "--cluster", redis.uri().toString(),
                "--cluster-secret-file", clusterSecretFile.toString(), "--advertise", "ws://10.0.0.7:7443",
                "--data-dir", tmp.resolve("d").toString());
        assertNotEquals(0, run.exitCode());
        assertTrue(run.err().contains("--cluster-cleartext on a network you trust"), run.err());
    }

    @Test
    void aClusterCaFileWithoutACertificateIsAUsageError() throws Exception { // cluster 4.8
        Path empty = Files.writeString(tmp.resolve("empty.pem"), "not a certificate\n");
        Cli.Run run = Cli.run("gateway", "--no-tls", "--cluster", redis.uri().toString(),
                "--cluster-secret-file", clusterSecretFile.toString(), "--cluster-ca", empty.toString(),
                "--data-dir", tmp.resolve("d").toString());
        assertNotEquals(0, run.exitCode());
        assertTrue(run.err().contains("--cluster-ca " + empty), run.err());
    }

    private RunningCommand start(String... args) throws Exception {
        RunningCommand command = new RunningCommand(args);
        running.add(command);
        return command;
    }

    private static boolean echoes(String host, int port) throws Exception {
        try (Socket client = new Socket(InetAddress.getByName(host), port)) {
            client.setSoTimeout(5_000);
            client.getOutputStream().write(7);
            return client.getInputStream().read() == 7;
        }
    }
}
