package dev.mproxy.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mproxy.testing.Loopback;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM to a real gateway process: it stops accepting, lets the stream in flight finish, says so, exits 0;
 * with streams still open after {@code --drain-timeout}, it cuts them, says how many, and exits 143.
 */
@Timeout(120)
class DrainTest {

    private static final Pattern CONNECT_LINE = Pattern.compile(
            "connect --gateway (wss://localhost:\\d+) --fingerprint ([0-9A-F:]{95})");
    private static final int SIZE = 20 * 1024 * 1024;

    @TempDir
    Path tmp;

    private final List<Process> processes = new ArrayList<>();
    private final List<RunningCommand> commands = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (RunningCommand command : commands) {
            command.stop();
        }
        processes.forEach(Process::destroyForcibly);
    }

    @Test
    void sigtermLetsA20MegabyteTransferInFlightFinishThenExits0() throws Exception {
        int publicPort = Loopback.freePort();
        try (ServerSocket service = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Process gateway = gateway("--drain-timeout", "60s");
            connect(gateway, publicPort, service.getLocalPort());
            CountDownLatch halfway = new CountDownLatch(1);
            CompletableFuture<Void> served = CompletableFuture.runAsync(() -> serveSlowly(service, halfway));
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), publicPort)) {
                client.setSoTimeout(60_000);
                CompletableFuture<Long> received = CompletableFuture.supplyAsync(() -> count(client));
                assertTrue(halfway.await(60, TimeUnit.SECONDS), "transfer started");
                gateway.destroy(); // SIGTERM
                // stopped accepting: the public port no longer listens while the stream goes on
                await().atMost(10, TimeUnit.SECONDS).untilAsserted(() -> assertThrows(ConnectException.class,
                        () -> new Socket(InetAddress.getLoopbackAddress(), publicPort).close()));
                assertFalse(received.isDone(), "the transfer was still going when the port closed");
                assertEquals(SIZE, received.get(60, TimeUnit.SECONDS), "every byte arrived");
                served.get(10, TimeUnit.SECONDS);
            }
            assertTrue(gateway.waitFor(30, TimeUnit.SECONDS), "gateway exited");
            assertEquals(0, gateway.exitValue(), stderr());
            String log = stderr();
            assertTrue(log.contains("stopping: accepting no devices or public connections; 1 open streams"), log);
            assertTrue(log.contains("stopping: every stream finished"), log);
        }
    }

    @Test
    void aStoppedConnectorLetsItsStreamFinishThenTellsTheGateway() throws Exception {
        int publicPort = Loopback.freePort();
        try (ServerSocket service = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Process gateway = gateway();
            RunningCommand device = connect(gateway, publicPort, service.getLocalPort(), "--drain-timeout", "60s");
            CountDownLatch halfway = new CountDownLatch(1);
            CompletableFuture<Void> served = CompletableFuture.runAsync(() -> serveSlowly(service, halfway));
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), publicPort)) {
                client.setSoTimeout(60_000);
                CompletableFuture<Long> received = CompletableFuture.supplyAsync(() -> count(client));
                assertTrue(halfway.await(60, TimeUnit.SECONDS), "transfer started");
                commands.remove(device);
                CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> {
                    try {
                        return device.stop(); // as SIGTERM does: the command drains
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                assertEquals(SIZE, received.get(60, TimeUnit.SECONDS), "every byte arrived");
                served.get(10, TimeUnit.SECONDS);
                assertEquals(0, exit.get(30, TimeUnit.SECONDS));
            }
            // then the tunnel ends, and the gateway lets the device go
            await().atMost(10, TimeUnit.SECONDS).until(() -> stderr().contains("device=\"pi\" disconnected"));
        }
    }

    @Test
    void aStreamStillOpenAfterTheDrainTimeoutIsCutAndTheExitIs143() throws Exception {
        int publicPort = Loopback.freePort();
        try (ServerSocket service = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Process gateway = gateway("--drain-timeout", "1s");
            connect(gateway, publicPort, service.getLocalPort());
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), publicPort);
                 Socket local = service.accept()) {
                client.getOutputStream().write(1);
                assertEquals(1, local.getInputStream().read());
                gateway.destroy(); // SIGTERM; the stream stays idle and open
                assertTrue(gateway.waitFor(30, TimeUnit.SECONDS), "gateway exited");
                assertEquals(ExitCodes.TERMINATED, gateway.exitValue(), stderr());
                assertTrue(stderr().contains("stopping: cutting 1 streams and relay pairs still open"), stderr());
                client.setSoTimeout(10_000);
                try {
                    assertEquals(-1, client.getInputStream().read());
                } catch (IOException reset) {
                    // cut: a reset is as good as an end here
                }
            }
        }
    }

    private Process gateway(String... extra) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", System.getProperty("java.class.path"), Main.class.getName(), "gateway",
                "--listen", "127.0.0.1:0", "--tls-port", "0", "--http-port", "0", "--hostname", "localhost",
                "--data-dir", tmp.resolve("data").toString(), "--bind", "127.0.0.1"));
        command.addAll(List.of(extra));
        Process process = new ProcessBuilder(command).redirectError(tmp.resolve("gateway.err").toFile()).start();
        processes.add(process);
        return process;
    }

    private RunningCommand connect(Process gateway, int publicPort, int servicePort, String... extra)
            throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(gateway.getInputStream(), StandardCharsets.UTF_8));
        Matcher connect = null;
        for (String line; connect == null && (line = out.readLine()) != null; ) {
            Matcher m = CONNECT_LINE.matcher(line);
            connect = m.find() ? m : null;
        }
        assertTrue(connect != null, "connect line; stderr: " + stderr());
        Cli.Run token = Cli.run("token", "--data-dir", tmp.resolve("data").toString(), "--device", "pi",
                "--port", Integer.toString(publicPort));
        assertEquals(0, token.exitCode(), token.err());
        List<String> args = new ArrayList<>(List.of("connect", "--gateway", connect.group(1), "--fingerprint",
                connect.group(2), "--token", token.out().trim(), "--tcp", publicPort + "=127.0.0.1:" + servicePort));
        args.addAll(List.of(extra));
        RunningCommand device = new RunningCommand(args.toArray(String[]::new));
        commands.add(device);
        device.awaitLine(Pattern.compile("serving as device pi, ports \\[" + publicPort + "]"));
        return device;
    }

    /** 20 MiB in 64 KiB pieces, a little at a time, so that the transfer is still going when SIGTERM comes. */
    private static void serveSlowly(ServerSocket service, CountDownLatch halfway) {
        byte[] chunk = new byte[64 * 1024];
        try (Socket local = service.accept(); OutputStream out = local.getOutputStream()) {
            for (int sent = 0; sent < SIZE; sent += chunk.length) {
                out.write(chunk);
                if (sent >= SIZE / 4) {
                    halfway.countDown();
                }
                Thread.sleep(5);
            }
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long count(Socket client) {
        try (InputStream in = client.getInputStream()) {
            return in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private String stderr() throws IOException {
        return Files.readString(tmp.resolve("gateway.err"));
    }
}
