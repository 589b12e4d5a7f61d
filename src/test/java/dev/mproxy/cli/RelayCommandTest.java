package dev.mproxy.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code mproxy relay} as users run it, through {@code mproxy gateway} (protocol-spec/rendezvous.md §6). */
@Timeout(60)
class RelayCommandTest {

    private static final Pattern CONNECT_LINE = Pattern.compile(
            "connect --gateway (wss://localhost:\\d+) --fingerprint ([0-9A-F:]{95}) --token-file (\\S+) --tcp");
    private static final String ID = "relay-command-test-01";

    @TempDir
    Path tmp;

    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final List<RunningCommand> running = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (int i = running.size() - 1; i >= 0; i--) {
            running.get(i).stop();
        }
        threads.shutdownNow();
    }

    @Test
    void twoRelayClientsBridgeTcpBothWaysWithSha256EqualData() throws Exception {
        // rendezvous 6.1, 6.4: a local client -> relay --listen -> gateway -> relay --connect -> a local service
        Path dataDir = tmp.resolve("data");
        RunningCommand gateway = start("gateway", "--listen", "127.0.0.1:0", "--tls-port", "0", "--http-port", "0",
                "--hostname", "localhost", "--data-dir", dataDir.toString(), "--bind", "127.0.0.1");
        gateway.awaitLine(Pattern.compile("rendezvous relay: wss://localhost:\\d+/relay\\?id=ID"));
        Matcher connect = gateway.awaitLine(CONNECT_LINE);
        Cli.Run token = Cli.run("token", "--data-dir", dataDir.toString(), "--device", "laptop", "--relay-only");
        assertEquals(0, token.exitCode(), token.err());
        List<String> join = List.of("relay", "--gateway", connect.group(1), "--fingerprint", connect.group(2),
                "--token", token.out().trim(), "--id", ID);

        byte[] fromService = random(6 * 1024 * 1024, 1);
        byte[] toService = random(8 * 1024 * 1024, 2);
        try (ServerSocket service = new ServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
            CompletableFuture<byte[]> serviceGot = CompletableFuture.supplyAsync(() -> serve(service, fromService),
                    threads);
            start(join, "--connect", "127.0.0.1:" + service.getLocalPort())
                    .awaitLine(Pattern.compile("mproxy relay: relay id " + ID + ": serving 127.0.0.1:\\d+"));
            Matcher listening = start(join, "--listen", "127.0.0.1:0")
                    .awaitLine(Pattern.compile("mproxy relay: relay id " + ID + ": listening on 127.0.0.1:(\\d+)"));

            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), Integer.parseInt(listening.group(1)))) {
                client.setSoTimeout(30_000);
                Future<byte[]> clientGot = threads.submit(() -> client.getInputStream().readAllBytes());
                client.getOutputStream().write(toService);
                client.shutdownOutput();
                assertArrayEquals(sha256(fromService), sha256(clientGot.get(30, TimeUnit.SECONDS)));
                assertArrayEquals(sha256(toService), serviceGot.get(30, TimeUnit.SECONDS));
            }
        }
        for (int i = running.size() - 1; i >= 0; i--) {
            assertEquals(0, running.remove(i).stop());
        }
    }

    @Test
    void stdioCarriesTheProcessesStdinAndStdoutAndExitsZero() throws Exception {
        // rendezvous 6.1, 6.4, as ssh's ProxyCommand runs it: a process whose stdout is nothing but the data
        Path dataDir = tmp.resolve("data");
        Matcher connect = start("gateway", "--listen", "127.0.0.1:0", "--tls-port", "0", "--http-port", "0",
                "--hostname", "localhost", "--data-dir", dataDir.toString()).awaitLine(CONNECT_LINE);
        Cli.Run token = Cli.run("token", "--data-dir", dataDir.toString(), "--device", "laptop", "--relay-only");
        List<String> join = List.of("relay", "--gateway", connect.group(1), "--fingerprint", connect.group(2),
                "--token", token.out().trim(), "--id", ID);
        byte[] fromService = random(1024 * 1024, 3);
        byte[] toService = random(3 * 1024 * 1024, 4);
        try (ServerSocket service = new ServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
            CompletableFuture<byte[]> serviceGot = CompletableFuture.supplyAsync(() -> serve(service, fromService),
                    threads);
            start(join, "--connect", "127.0.0.1:" + service.getLocalPort())
                    .awaitLine(Pattern.compile("serving 127.0.0.1:"));

            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                    .toString(), "-cp", System.getProperty("java.class.path"), Main.class.getName()));
            command.addAll(join);
            command.add("--stdio");
            Process stdio = new ProcessBuilder(command).redirectError(tmp.resolve("stderr").toFile()).start();
            try {
                Future<byte[]> stdout = threads.submit(() -> stdio.getInputStream().readAllBytes());
                try (OutputStream stdin = stdio.getOutputStream()) {
                    stdin.write(toService);
                }
                assertArrayEquals(sha256(fromService), sha256(stdout.get(30, TimeUnit.SECONDS)));
                assertArrayEquals(sha256(toService), serviceGot.get(30, TimeUnit.SECONDS));
                assertTrue(stdio.waitFor(30, TimeUnit.SECONDS), "mproxy relay --stdio exits");
                assertEquals(0, stdio.exitValue(), java.nio.file.Files.readString(tmp.resolve("stderr")));
            } finally {
                stdio.destroyForcibly();
            }
        }
    }

    @Test
    void connectExitsWhenTheGatewayRefusesItsToken() throws Exception {
        // rendezvous 6.6: a refused upgrade cannot be mended by trying again
        Path dataDir = tmp.resolve("data");
        Matcher connect = start("gateway", "--listen", "127.0.0.1:0", "--tls-port", "0", "--http-port", "0",
                "--hostname", "localhost", "--data-dir", dataDir.toString()).awaitLine(CONNECT_LINE);
        RunningCommand relay = new RunningCommand("relay", "--gateway", connect.group(1), "--fingerprint",
                connect.group(2), "--token", "x.y.z", "--id", ID, "--connect", "127.0.0.1:9");
        assertEquals(1, relay.awaitExit(30));
        assertTrue(relay.err().startsWith("mproxy relay: gateway refused the relay: 401 Unauthorized: \"token "),
                relay.err());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "--id short --stdio | Invalid value for option '--id': relay id is 5 characters long (expected: 16 to 128",
        "--id relay-command-test-01 | "
            + "Missing required argument (specify one of these): (--listen=HOST:PORT",
        "--id relay-command-test-01 --stdio --listen 127.0.0.1:0 | mutually exclusive",
        "--id relay-command-test-01 --stdio --sessions 2 | "
            + "--sessions goes with --listen or --connect (--stdio is one session)",
        "--id relay-command-test-01 --listen 127.0.0.1:0 --sessions 0 | "
            + "--sessions: 0 (expected: 1 to 100)",
        "--id relay-command-test-01 --connect 127.0.0.1 | "
            + "Invalid value for option '--connect': '127.0.0.1' (expected: HOST:PORT",
        "--id relay-command-test-01 --stdio --fingerprint abc | Invalid value for option '--fingerprint'",
    })
    void badOptionsAreUsageErrorsSayingWhatWasExpected(String options, String message) {
        List<String> args = new ArrayList<>(List.of("relay", "--gateway", "wss://localhost:1"));
        args.addAll(List.of(options.split(" ")));
        if (!options.contains("--fingerprint")) {
            args.add("--insecure");
        }
        Cli.Run run = Cli.run(args.toArray(new String[0]));
        assertEquals(2, run.exitCode(), run.err());
        assertTrue(run.err().contains(message), run.err());
    }

    @Test
    void gatewayThatIsNotAWebSocketUriIsAUsageError() {
        Cli.Run run = Cli.run("relay", "--gateway", "https://localhost:1", "--id", ID, "--stdio");
        assertEquals(2, run.exitCode(), run.err());
        assertTrue(run.err().contains("Invalid value for option '--gateway': gateway https://localhost:1 (expected: "
                + "wss://HOST:PORT or ws://HOST:PORT)"), run.err());
    }

    @Test
    void helpShowsTheModesAndAnSshExample() {
        Cli.Run run = Cli.run("relay", "--help");
        assertEquals(0, run.exitCode(), run.err());
        for (String shown : List.of("--listen=HOST:PORT", "--connect=HOST:PORT", "--stdio", "--sessions=N",
                "--fingerprint=SHA256", "ProxyCommand", "16 to 128 characters")) {
            assertTrue(run.out().contains(shown), shown + " in:\n" + run.out());
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------------

    private RunningCommand start(String... args) throws IOException {
        RunningCommand command = new RunningCommand(args);
        running.add(command);
        return command;
    }

    private RunningCommand start(List<String> join, String... more) throws IOException {
        List<String> args = new ArrayList<>(join);
        args.addAll(List.of(more));
        return start(args.toArray(new String[0]));
    }

    /** Accepts one connection, sends it {@code reply} while reading all it sends; returns that input's SHA-256. */
    private byte[] serve(ServerSocket server, byte[] reply) {
        try (Socket s = server.accept()) {
            Future<?> sending = threads.submit(() -> {
                s.getOutputStream().write(reply);
                return null;
            });
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            InputStream in = s.getInputStream();
            byte[] buf = new byte[64 * 1024];
            for (int n; (n = in.read(buf)) > 0; ) {
                sha.update(buf, 0, n);
            }
            sending.get(30, TimeUnit.SECONDS);
            s.shutdownOutput();
            return sha.digest();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] random(int length, long seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static byte[] sha256(byte[] bytes) throws java.security.NoSuchAlgorithmException {
        return MessageDigest.getInstance("SHA-256").digest(bytes);
    }
}
