package dev.mproxy.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mproxy.auth.DeviceToken;
import dev.mproxy.auth.GatewaySecret;
import dev.mproxy.auth.TokenSigner;
import dev.mproxy.auth.TokenVerifier;
import dev.mproxy.connector.Connector;
import dev.mproxy.connector.ConnectorConfig;
import dev.mproxy.record.Direction;
import dev.mproxy.record.RecordingFormat;
import dev.mproxy.relay.Recorder;
import dev.mproxy.testing.Loopback;
import dev.mproxy.testing.RecordingContents;
import dev.mproxy.testing.TestSecrets;
import dev.mproxy.tunnel.Grant;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code --record} on the gateway and on the connector (recording.md §6.8): a real gateway and connector over
 * WebSocket on loopback, public clients and a local service that answers with bytes of its own.
 */
@Timeout(60)
class StreamRecordingTest {

    private static final Pattern FILE_NAME = Pattern.compile(
            "\\d{8}T\\d{6}\\.\\d{3}Z_pi_tcp-(\\d+)_127\\.0\\.0\\.1-(\\d+)_(\\d+)\\.(mcrec|netrecord)");

    @TempDir
    Path temp;

    private final GatewaySecret secret = TestSecrets.random();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final ExecutorService threads = Executors.newCachedThreadPool();
    /** What the local service received on each connection, in order. */
    private final BlockingQueue<byte[]> serviceReceived = new LinkedBlockingQueue<>();

    @AfterEach
    void stop() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        threads.shutdownNow();
    }

    @ParameterizedTest
    @EnumSource(RecordingFormat.class)
    void everyStreamIsRecordedOnBothSidesExactlyAsForwarded(RecordingFormat format) throws Exception {
        Path gatewayDir = temp.resolve("gateway-recordings");
        Path deviceDir = temp.resolve("device-recordings");
        int port = startTunnel(Recorder.inDirectory(gatewayDir, format), Recorder.inDirectory(deviceDir, format));

        // 12 clients at once, random sizes both ways: the service answers with its input reversed
        Random random = new Random(7);
        Map<Integer, byte[]> sentByClientPort = new ConcurrentHashMap<>();
        List<Future<?>> clients = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            byte[] payload = new byte[1 + random.nextInt(600 * 1024)];
            random.nextBytes(payload);
            clients.add(threads.submit(() -> {
                try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
                    client.setSoTimeout(30_000);
                    sentByClientPort.put(client.getLocalPort(), payload);
                    Future<byte[]> answer = threads.submit(() -> client.getInputStream().readAllBytes());
                    client.getOutputStream().write(payload);
                    client.shutdownOutput();
                    assertArrayEquals(reversed(payload), answer.get(30, TimeUnit.SECONDS));
                }
                return null;
            }));
        }
        for (Future<?> client : clients) {
            client.get(40, TimeUnit.SECONDS);
        }

        for (Path dir : List.of(gatewayDir, deviceDir)) {
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
            // each file is finished once both its ends are recorded, which may follow the clients' last read
            await().atMost(Duration.ofSeconds(20)).until(() -> finishedRecordings(dir) == 12);
            try (Stream<Path> files = Files.list(dir)) {
                for (Path file : files.toList()) {
                    var name = FILE_NAME.matcher(file.getFileName().toString());
                    assertTrue(name.matches(), file.getFileName() + " (expected: " + FILE_NAME + ')');
                    assertEquals(format.fileExtension(), '.' + name.group(4));
                    assertEquals(port, Integer.parseInt(name.group(1)));
                    byte[] sent = sentByClientPort.get(Integer.parseInt(name.group(2)));
                    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));

                    RecordingContents r = RecordingContents.read(file);
                    assertArrayEquals(sent, r.fromClient, file + ": bytes from the client");
                    assertArrayEquals(reversed(sent), r.fromServer, file + ": bytes from the service");
                    assertEquals(List.of(), r.failed, file.toString());
                    if (format == RecordingFormat.MCREC) {
                        assertFalse(r.truncated, file.toString());
                        assertEquals("pi", r.session.user());
                        assertEquals(Integer.parseInt(name.group(2)), r.session.client().getPort());
                        // recording 6.8: the service is a label; protocol is MeshCentral's number only
                        assertEquals(null, r.session.protocol());
                        assertEquals("tcp", r.session.labels().get("service"));
                        assertEquals(dir == gatewayDir ? "gateway" : "device", r.session.labels().get("recordedBy"));
                    }
                }
            }
        }
    }

    @Test
    void aStreamWhoseRecordingCannotBeWrittenIsResetAndForwardsNothing() throws Exception {
        Path gatewayDir = temp.resolve("vanishing");
        int port = startTunnel(Recorder.inDirectory(gatewayDir, RecordingFormat.MCREC), null);
        Files.delete(gatewayDir); // every recording now fails to open

        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
            client.setSoTimeout(20_000);
            OutputStream out = client.getOutputStream();
            try {
                out.write(new byte[64 * 1024]);
                assertEquals(-1, client.getInputStream().read());
            } catch (SocketException reset) {
                // reset by the gateway: what matters is that it closed
            }
        }
        // the device may have connected to the service before the gateway's error arrived: it got no byte
        byte[] received = serviceReceived.poll(20, TimeUnit.SECONDS);
        if (received != null) {
            assertEquals(0, received.length);
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------------

    /** Starts the service, a gateway and a device "pi" serving one public port; returns the port. */
    private int startTunnel(Recorder gatewayRecorder, Recorder deviceRecorder) throws Exception {
        InetSocketAddress service = startReversingService();
        GatewayServer gateway = new GatewayServer(GatewayConfig.newBuilder()
                .listen(new InetSocketAddress("127.0.0.1", 0)).publicBindHost("127.0.0.1")
                .tlsPort(OptionalInt.empty()).httpPort(OptionalInt.empty())
                .verifier(new TokenVerifier(secret, Clock.systemUTC())).recorder(gatewayRecorder).build()).start();
        closeables.add(gateway);
        int port = Loopback.freePort();
        String token = new TokenSigner(secret, Clock.systemUTC()).sign(new DeviceToken("pi", List.of(port),
                List.of(), null));
        BlockingQueue<Grant> grants = new LinkedBlockingQueue<>();
        Connector connector = new Connector(ConnectorConfig.newBuilder()
                .gateway(URI.create("ws://127.0.0.1:" + gateway.deviceAddress().getPort() + "/")).token(token)
                .tcp(Map.of(port, service)).maxBackoff(Duration.ofSeconds(2)).recorder(deviceRecorder).build(),
                grants::add).start();
        closeables.add(connector);
        grants.poll(20, TimeUnit.SECONDS);
        return port;
    }

    /** A service that reads each connection to its end, then sends it back reversed and half-closes. */
    private InetSocketAddress startReversingService() throws IOException {
        ServerSocket server = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
        closeables.add(server);
        threads.submit(() -> {
            while (!server.isClosed()) {
                Socket s = server.accept();
                threads.submit(() -> {
                    try (s) {
                        InputStream in = s.getInputStream();
                        byte[] received;
                        try {
                            received = in.readAllBytes();
                        } catch (SocketException reset) {
                            received = new byte[0];
                        }
                        serviceReceived.add(received);
                        s.getOutputStream().write(reversed(received));
                        s.shutdownOutput();
                    }
                    return null;
                });
            }
            return null;
        });
        return new InetSocketAddress("127.0.0.1", server.getLocalPort());
    }

    /** Recordings in {@code dir} whose both ends are in the file, and which are finished. */
    private static long finishedRecordings(Path dir) throws IOException {
        long finished = 0;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.toList()) {
                RecordingContents r = RecordingContents.read(file);
                if (r.ended.contains(Direction.FROM_CLIENT) && r.ended.contains(Direction.FROM_SERVER)
                        && !r.truncated) {
                    finished++;
                }
            }
        }
        return finished;
    }

    private static byte[] reversed(byte[] bytes) {
        byte[] out = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = bytes[bytes.length - 1 - i];
        }
        return out;
    }
}
