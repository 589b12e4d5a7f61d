package dev.mproxy.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mproxy.testing.Loopback;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The commands users run: {@code gateway} on embedded defaults, {@code token}, and {@code connect}. */
@Timeout(60)
class GatewayConnectCommandTest {

    private static final Pattern CONNECT_LINE = Pattern.compile(
            "connect --gateway (wss://localhost:\\d+) --fingerprint ([0-9A-F:]{95}) --token-file (\\S+) --tcp");

    @TempDir
    Path tmp;
    /** Not the 0755 temp dir itself: the gateway refuses a data dir others can read. */
    private Path dataDir;

    private final ExecutorService threads = Executors.newCachedThreadPool();

    @BeforeEach
    void dataDir() {
        dataDir = tmp.resolve("data");
    }

    @AfterEach
    void stop() {
        threads.shutdownNow();
    }

    @Test
    void gatewayPrintsAConnectLineThatADeviceCanUse() throws Exception {
        try (ServerSocket echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            threads.submit(() -> serveEcho(echo));
            int publicPort = free.getLocalPort();
            free.close();

            RunningCommand gateway = start("gateway", "--listen", "127.0.0.1:0", "--tls-port", "0", "--http-port", "0",
                    "--hostname", "localhost",
                    "--data-dir", dataDir.toString(), "--bind", "127.0.0.1");
            Matcher connect = gateway.awaitLine(CONNECT_LINE);
            assertTrue(Files600.ownerOnly(dataDir.resolve("gateway.key")), "key is 0600");
            // limits 5.4: the sample token is a file, 0600, named by the connect line; never printed
            Path sample = dataDir.resolve(connect.group(3));
            assertTrue(Files600.ownerOnly(sample), "sample token is 0600");
            assertTrue(Files.readString(sample).trim().matches("[\\w-]+\\.[\\w-]+\\.[\\w-]+"), "a JWT");

            Cli.Run token = Cli.run("token", "--data-dir", dataDir.toString(), "--device", "laptop",
                    "--port", Integer.toString(publicPort));
            assertEquals(0, token.exitCode(), token.err());

            RunningCommand device = start("connect", "--gateway", connect.group(1), "--fingerprint", connect.group(2),
                    "--token", token.out().trim(), "--tcp", publicPort + "=127.0.0.1:" + echo.getLocalPort());
            device.awaitLine(Pattern.compile("serving as device laptop, ports \\[" + publicPort + "]"));

            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), publicPort)) {
                client.setSoTimeout(10_000);
                client.getOutputStream().write("through the gateway".getBytes(StandardCharsets.US_ASCII));
                client.shutdownOutput();
                assertEquals("through the gateway",
                        new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
            }
            assertEquals(0, device.stop());
            assertEquals(0, gateway.stop());
        }
    }

    @Test
    void theBannersConnectLinePastesAsItIsAndNamesNoWildcardAddress() throws Exception {
        // without --hostname: this machine's name, never the listening address 0:0:0:0:...; the token in a file
        RunningCommand gateway = start("gateway", "--listen", "[::]:0", "--tls-port", "0", "--http-port", "0",
                "--data-dir", dataDir.toString(), "--bind", "127.0.0.1");
        String host = java.net.InetAddress.getLocalHost().getHostName();
        Matcher first = gateway.awaitLine(Pattern.compile("^mproxy gateway: devices connect to wss://(\\S+):\\d+/ "
                + "\\(listening on \\[::]:\\d+\\)"));
        assertEquals(host, first.group(1));
        Matcher written = gateway.awaitLine(Pattern.compile("^sample token \\(device \"sample-device\", port 10022, "
                + "30 days\\) written to (\\S+)$"));
        Path tokenFile = Path.of(written.group(1));
        assertTrue(Files600.ownerOnly(tokenFile), "the sample token is 0600");
        gateway.awaitLine(Pattern.compile("^on a device, with that file copied to it, run:$"));
        Matcher line = gateway.awaitLine(Pattern.compile("^  mproxy (connect .*)$"));
        assertTrue(line.group(1).contains(" --token-file " + tokenFile + " "), line.group(1));
        assertTrue(!line.group(1).contains(Files.readString(tokenFile).strip()), "no token on the terminal");
        gateway.awaitLine(Pattern.compile("^more tokens: mproxy token --data-dir " + Pattern.quote(dataDir.toString())
                + " --device ID --port P$"));

        // pasted as it is (this machine's name must resolve to this machine, as it does for a device on it)
        RunningCommand device = start(line.group(1).split(" "));
        device.awaitLine(Pattern.compile("serving as device sample-device"));
        assertEquals(0, device.stop());
        assertEquals(0, gateway.stop());
    }

    @Test
    void connectSendsTheLocalServiceAProxyHeaderWhenItsMappingAsks() throws Exception {
        // mappings 1.4, 4.1, 4.5 end to end: the connect command behind a real gateway, the header read byte for byte
        try (ServerSocket local = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            CompletableFuture<String> received = CompletableFuture.supplyAsync(() -> {
                try (Socket s = local.accept()) {
                    return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, threads);
            int publicPort = Loopback.freePort();
            RunningCommand gateway = start("gateway", "--listen", "127.0.0.1:0", "--tls-port", "0", "--http-port",
                    "0", "--hostname", "localhost", "--data-dir", dataDir.toString(), "--bind", "127.0.0.1");
            Matcher connect = gateway.awaitLine(CONNECT_LINE);
            Cli.Run token = Cli.run("token", "--data-dir", dataDir.toString(), "--device", "laptop",
                    "--port", Integer.toString(publicPort), "--domain", "app.example.com");
            assertEquals(0, token.exitCode(), token.err());

            RunningCommand device = start("connect", "--gateway", connect.group(1), "--fingerprint", connect.group(2),
                    "--token", token.out().trim(),
                    "--tcp", publicPort + "=127.0.0.1:" + local.getLocalPort() + ",proxy=v1",
                    "--https", "app.example.com=127.0.0.1:8443");
            device.awaitLine(Pattern.compile("serving as device laptop, ports \\[" + publicPort
                    + "], domains \\[app.example.com]"));

            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), publicPort)) {
                client.getOutputStream().write("through the gateway".getBytes(StandardCharsets.US_ASCII));
                client.shutdownOutput();
                assertEquals("PROXY TCP4 127.0.0.1 0.0.0.0 " + client.getLocalPort() + ' ' + publicPort
                        + "\r\nthrough the gateway", received.get(20, TimeUnit.SECONDS));
            }
            assertEquals(0, device.stop());
            assertEquals(0, gateway.stop());
        }
    }

    @Test
    void killedDeviceProcessTakesItsPublicConnectionsDownWithinASecond() throws Exception {
        try (ServerSocket echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            threads.submit(() -> serveEcho(echo));
            int publicPort = Loopback.freePort();
            RunningCommand gateway = start("gateway", "--listen", "127.0.0.1:0", "--tls-port", "0", "--http-port", "0",
                    "--hostname", "localhost",
                    "--data-dir", dataDir.toString(), "--bind", "127.0.0.1");
            Matcher connect = gateway.awaitLine(CONNECT_LINE);
            Cli.Run token = Cli.run("token", "--data-dir", dataDir.toString(), "--device", "pi",
                    "--port", Integer.toString(publicPort));

            // a real device process, so that kill -9 leaves the kernel to close its socket
            Process device = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                    "connect", "--gateway", connect.group(1), "--fingerprint", connect.group(2),
                    "--token", token.out().trim(), "--tcp", publicPort + "=127.0.0.1:" + echo.getLocalPort())
                    .redirectError(tmp.resolve("device.err").toFile())
                    .start();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(device.getInputStream(),
                        StandardCharsets.UTF_8));
                String line;
                while ((line = out.readLine()) != null && !line.contains("serving as device pi")) {
                    // the banner's other lines
                }
                assertTrue(line != null, "device serving; stderr: " + Files.readString(tmp.resolve("device.err")));
                try (Socket client = new Socket(InetAddress.getLoopbackAddress(), publicPort)) {
                    client.getOutputStream().write(42);
                    client.setSoTimeout(10_000);
                    assertEquals(42, client.getInputStream().read());

                    device.destroyForcibly().onExit().get(10, TimeUnit.SECONDS);
                    client.setSoTimeout(1_000);
                    try {
                        assertEquals(-1, client.getInputStream().read());
                    } catch (SocketTimeoutException e) {
                        throw new AssertionError("public connection still open 1 s after the device was killed");
                    } catch (SocketException reset) {
                        // closed with a reset: the stream did not end cleanly
                    }
                }
                await().atMost(10, TimeUnit.SECONDS).untilAsserted(() -> assertThrows(ConnectException.class,
                        () -> new Socket(InetAddress.getLoopbackAddress(), publicPort).close()));
            } finally {
                device.destroyForcibly();
            }
            assertEquals(0, gateway.stop());
        }
    }

    @Test
    void connectRefusesABadFingerprintAsAUsageError() {
        Cli.Run run = Cli.run("connect", "--gateway", "wss://localhost:1", "--fingerprint", "abc", "--token", "t",
                "--tcp", "10022=127.0.0.1:22");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("--fingerprint"), run.err());
    }

    @Test
    void connectRefusesABadMapping() {
        Cli.Run run = Cli.run("connect", "--gateway", "wss://localhost:1", "--insecure", "--token", "t",
                "--tcp", "10022=nowhere");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("expected: HOST:PORT"), run.err());
    }

    @Test
    void gatewayThatCannotListenSaysWhereAndWhy() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Cli.Run run = Cli.run("gateway", "--listen", "127.0.0.1:" + taken.getLocalPort(), "--no-tls",
                    "--data-dir", dataDir.toString());
            assertEquals(1, run.exitCode());
            assertTrue(run.err().contains("cannot listen on 127.0.0.1:" + taken.getLocalPort()), run.err());
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------------

    private RunningCommand start(String... args) throws IOException {
        return new RunningCommand(args);
    }

    private static Void serveEcho(ServerSocket server) throws IOException {
        while (!server.isClosed()) {
            Socket s = server.accept();
            new Thread(() -> {
                try (s) {
                    s.getInputStream().transferTo(s.getOutputStream());
                    s.shutdownOutput();
                } catch (IOException e) {
                    // the client went away
                }
            }).start();
        }
        return null;
    }

    private static final class Files600 {
        static boolean ownerOnly(Path file) throws IOException {
            return java.nio.file.Files.getPosixFilePermissions(file).equals(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        }
    }
}
