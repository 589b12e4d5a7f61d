package dev.mproxy.recordproxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mproxy.record.Direction;
import dev.mproxy.record.RecordedEvent.Kind;
import dev.mproxy.record.RecordedEvent;
import dev.mproxy.record.RecordingFormat;
import dev.mproxy.testing.RecordingContents;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code mproxy record}'s proxy over real sockets: what each recording holds, read back with the format's
 * reader, against what the client and the server really sent and received (protocol-spec/recording.md).
 */
@Timeout(60)
class RecordProxyTest {

    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @TempDir
    Path dir;

    @AfterEach
    void stop() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        threads.shutdownNow();
    }

    @ParameterizedTest
    @EnumSource(RecordingFormat.class)
    void manyConcurrentConnectionsAreRecordedExactlyAsForwardedBothWays(RecordingFormat format) throws Exception {
        // recording 6.1: the bytes recorded for a direction are the bytes forwarded, in order, for each connection
        int connections = 24;
        TalkingServer server = new TalkingServer(7);
        RecordProxy proxy = start(server.address(), format);
        List<Future<byte[][]>> clients = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            int seed = i;
            clients.add(threads.submit(() -> talk(proxy.address(), new Random(seed), 512 * 1024)));
        }
        List<byte[][]> clientSides = new ArrayList<>();
        for (Future<byte[][]> client : clients) {
            clientSides.add(client.get(30, TimeUnit.SECONDS));
        }
        proxy.close(); // waits until every recording is finished
        List<byte[][]> serverSides = server.conversations(connections);

        for (int i = 1; i <= connections; i++) {
            int n = i;
            RecordingContents r = RecordingContents.read(recordingOf(n, format));
            assertFalse(r.truncated, "recording " + n + " complete");
            assertEquals(Kind.OPENED, r.events.get(0).kind());
            // each connection's recording must match one client, byte for byte, and the server it reached
            byte[][] client = clientSides.stream().filter(c -> Arrays.equals(c[0], r.fromClient))
                    .findFirst().orElseThrow(() -> new AssertionError("recording " + n + " matches no client"));
            assertArrayEquals(client[1], r.fromServer, "recording " + n + ": bytes from the server");
            assertTrue(serverSides.stream().anyMatch(s -> Arrays.equals(s[0], r.fromClient)
                    && Arrays.equals(s[1], r.fromServer)), "recording " + n + " matches a server side");
            assertEquals(Set.of(Direction.FROM_CLIENT, Direction.FROM_SERVER), Set.copyOf(r.ended),
                    "both sides ended: " + n);
            assertTrue(r.failed.isEmpty(), "no side failed: " + n);
            assertTimesNeverGoBack(r.events);
        }
    }

    @Test
    void halfCloseCarriesOnTheOtherDirectionAndEachEndIsRecorded() throws Exception {
        // recording 6.5: a side's hup ends the other side's output only; data that follows is still recorded
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Future<String> served = threads.submit(() -> {
                try (Socket s = server.accept()) {
                    String asked = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                    s.getOutputStream().write(("answer to " + asked).getBytes(StandardCharsets.US_ASCII));
                    return asked;
                }
            });
            RecordProxy proxy = start(new InetSocketAddress("127.0.0.1", server.getLocalPort()),
                    RecordingFormat.NETRECORD);
            try (Socket client = connect(proxy)) {
                client.getOutputStream().write("question".getBytes(StandardCharsets.US_ASCII));
                client.shutdownOutput();
                assertEquals("answer to question",
                        new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
            }
            assertEquals("question", served.get(20, TimeUnit.SECONDS));
            proxy.close();
            List<RecordedEvent> events = RecordingContents.read(recordingOf(1, RecordingFormat.NETRECORD)).events;
            assertEquals(List.of("OPENED c", "DATA c question", "ENDED c", "DATA s answer to question", "ENDED s"),
                    describe(events));
        }
    }

    @Test
    void serverThatRefusesLeavesTheConnectionRecordedAndTheServerSideFailed() throws Exception {
        // recording 7.3: netrecord leaves "con" and nothing more; we also say the server side failed
        int closedPort;
        try (ServerSocket gone = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = gone.getLocalPort();
        }
        RecordProxy proxy = start(new InetSocketAddress("127.0.0.1", closedPort), RecordingFormat.NETRECORD);
        try (Socket client = connect(proxy)) {
            assertClosed(client);
        }
        proxy.close();
        assertEquals(List.of("OPENED c", "FAILED s"),
                describe(RecordingContents.read(recordingOf(1, RecordingFormat.NETRECORD)).events));
    }

    @Test
    void clientResetIsRecordedAsAFailureAndResetsTheServer() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            BlockingQueue<String> serverSaw = new LinkedBlockingQueue<>();
            threads.submit(() -> {
                try (Socket s = server.accept()) {
                    byte[] first = s.getInputStream().readNBytes(5);
                    serverSaw.add(new String(first, StandardCharsets.US_ASCII));
                    serverSaw.add(s.getInputStream().read() == -1 ? "eof" : "more");
                } catch (SocketException reset) {
                    serverSaw.add("reset");
                }
                return null;
            });
            RecordProxy proxy = start(new InetSocketAddress("127.0.0.1", server.getLocalPort()),
                    RecordingFormat.MCREC);
            Socket client = connect(proxy);
            client.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
            assertEquals("hello", serverSaw.poll(20, TimeUnit.SECONDS));
            client.setSoLinger(true, 0);
            client.close(); // an RST
            String after = serverSaw.poll(20, TimeUnit.SECONDS);
            assertTrue("reset".equals(after) || "eof".equals(after), after);
            proxy.close();
            RecordingContents r = RecordingContents.read(recordingOf(1, RecordingFormat.MCREC));
            assertEquals(List.of("OPENED c", "DATA c hello", "FAILED c"), describe(r.events));
            assertFalse(r.truncated);
        }
    }

    @Test
    void ipv6ClientsAndServersAreRecordedWithTheirAddresses() throws Exception {
        // netrecord listened and connected over IPv4 only (relay-record notes); both sides here are ::1
        InetAddress v6 = InetAddress.getByName("::1");
        try (ServerSocket server = new ServerSocket(0, 5, v6)) {
            threads.submit(() -> {
                try (Socket s = server.accept()) {
                    byte[] got = s.getInputStream().readAllBytes();
                    s.getOutputStream().write(("got " + new String(got, StandardCharsets.US_ASCII))
                            .getBytes(StandardCharsets.US_ASCII));
                }
                return null;
            });
            RecordProxy proxy = new RecordProxy(RecordProxyConfig.newBuilder().listen(new InetSocketAddress(v6, 0))
                    .server(new InetSocketAddress(v6, server.getLocalPort())).logRoot(dir.resolve("rec").toString())
                    .format(RecordingFormat.MCREC).build()).start();
            closeables.add(proxy);
            try (Socket client = new Socket(v6, proxy.address().getPort())) {
                client.setSoTimeout(20_000);
                client.getOutputStream().write("v6".getBytes(StandardCharsets.US_ASCII));
                client.shutdownOutput();
                assertEquals("got v6", new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
                proxy.close();
                RecordingContents r = RecordingContents.read(recordingOf(1, RecordingFormat.MCREC));
                assertEquals(List.of("OPENED c", "DATA c v6", "ENDED c", "DATA s got v6", "ENDED s"),
                        describe(r.events));
                assertEquals(new InetSocketAddress(v6, client.getLocalPort()), r.session.client());
                assertEquals(new InetSocketAddress(v6, server.getLocalPort()), r.session.server());
            }
        }
    }

    @Test
    void connectionWhoseRecordingCannotBeWrittenIsClosedAndForwardsNothing() throws Exception {
        // recording 6.4: a recording that fails closes its connection; not one byte goes across unrecorded
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            BlockingQueue<Integer> serverGot = new LinkedBlockingQueue<>();
            threads.submit(() -> {
                while (!server.isClosed()) {
                    Socket s = server.accept();
                    threads.submit(() -> {
                        try (s) {
                            serverGot.add(s.getInputStream().readAllBytes().length);
                        } catch (SocketException reset) {
                            serverGot.add(0);
                        }
                        return null;
                    });
                }
                return null;
            });
            String root = dir.resolve("rec").toString();
            Files.createDirectory(Path.of(root + "_2")); // connection 2's file cannot be created
            RecordProxy proxy = start(new InetSocketAddress("127.0.0.1", server.getLocalPort()),
                    RecordingFormat.NETRECORD, root);
            try (Socket first = connect(proxy)) {
                first.getOutputStream().write("recorded".getBytes(StandardCharsets.US_ASCII));
                first.shutdownOutput();
                assertEquals(-1, first.getInputStream().read());
            }
            assertEquals(8, serverGot.poll(20, TimeUnit.SECONDS));
            try (Socket second = connect(proxy)) {
                try {
                    second.getOutputStream().write("never forwarded".getBytes(StandardCharsets.US_ASCII));
                } catch (SocketException closedAlready) {
                    // the proxy may have closed it before the write
                }
                assertClosed(second);
            }
            Integer forwarded = serverGot.poll(2, TimeUnit.SECONDS); // null: the server was never even reached
            assertTrue(forwarded == null || forwarded == 0, "bytes forwarded unrecorded: " + forwarded);
        }
    }

    @Test
    void firstRecordingThatExistsAlreadyStopsTheProxyFromStarting() throws Exception {
        // recording 7.2: nothing is overwritten
        String root = dir.resolve("rec").toString();
        Files.writeString(Path.of(root + "_1"), "an older recording");
        IOException refused = assertThrows(IOException.class, () -> new RecordProxy(RecordProxyConfig.newBuilder()
                .listen(new InetSocketAddress("127.0.0.1", 0)).server(new InetSocketAddress("127.0.0.1", 9))
                .logRoot(root).format(RecordingFormat.NETRECORD).build()).start());
        assertTrue(refused.getMessage().contains("rec_1 exists"), refused.getMessage());
    }

    @Test
    void anMcrecFileStartsWhenItsConnectionIsAcceptedAndANetrecordFileWhenTheProxyStarted() throws Exception {
        // recording 7.2: MeshCentral's player shows an .mcrec file's duration from its start; netrecord's times
        // count from the proxy's start, as the original's do
        for (RecordingFormat format : RecordingFormat.values()) {
            TalkingServer server = new TalkingServer(2);
            String root = dir.resolve(format.word()).toString();
            RecordProxy proxy = start(server.address(), format, root);
            Instant afterProxy = Instant.now();
            talk(proxy.address(), new Random(1), 100);
            Instant beforeSecond = Instant.now();
            talk(proxy.address(), new Random(2), 100);
            proxy.close();
            Path second = Path.of(root + "_2" + (format == RecordingFormat.MCREC ? ".mcrec" : ""));
            RecordingContents r = RecordingContents.read(second);
            if (format == RecordingFormat.MCREC) {
                assertFalse(r.session.start().isBefore(beforeSecond), r.session.start() + " before " + beforeSecond);
                assertTrue(r.events.get(0).micros() < 1_000_000, "opened at " + r.events.get(0).micros() + " µs");
            } else {
                long opened = r.events.get(0).micros();
                assertTrue(opened >= Duration.between(afterProxy, beforeSecond).toNanos() / 1000,
                        "opened at " + opened + " µs");
            }
        }
    }

    @Test
    void recordingsAreReadableByTheirOwnerOnly() throws Exception {
        TalkingServer server = new TalkingServer(1);
        RecordProxy proxy = start(server.address(), RecordingFormat.MCREC);
        talk(proxy.address(), new Random(1), 1000);
        proxy.close();
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                recordingOf(1, RecordingFormat.MCREC))));
    }

    // ---- helpers ----------------------------------------------------------------------------------------

    private RecordProxy start(InetSocketAddress server, RecordingFormat format) throws Exception {
        return start(server, format, dir.resolve("rec").toString());
    }

    private RecordProxy start(InetSocketAddress server, RecordingFormat format, String root) throws Exception {
        RecordProxy proxy = new RecordProxy(RecordProxyConfig.newBuilder().listen(new InetSocketAddress("127.0.0.1", 0))
                .server(server).logRoot(root).format(format == null ? RecordProxyConfig.DEFAULT_FORMAT : format)
                .recording(format != null).build()).start();
        closeables.add(proxy);
        return proxy;
    }

    private Path recordingOf(int n, RecordingFormat format) {
        return dir.resolve("rec_" + n + (format == RecordingFormat.MCREC ? ".mcrec" : ""));
    }

    private static Socket connect(RecordProxy proxy) throws IOException {
        Socket client = new Socket(InetAddress.getLoopbackAddress(), proxy.address().getPort());
        client.setSoTimeout(20_000);
        return client;
    }

    /**
     * One client: sends up to {@code max} random bytes in random chunks while reading, then half-closes and
     * reads to the end. Returns {what it sent, what it received}.
     */
    private byte[][] talk(InetSocketAddress to, Random random, int max) throws Exception {
        try (Socket s = new Socket(to.getAddress(), to.getPort())) {
            s.setSoTimeout(20_000);
            Future<byte[]> received = threads.submit(() -> s.getInputStream().readAllBytes());
            byte[] sent = new byte[1 + random.nextInt(max)];
            random.nextBytes(sent);
            writeInChunks(s.getOutputStream(), sent, random);
            s.shutdownOutput();
            return new byte[][] {sent, received.get(30, TimeUnit.SECONDS)};
        }
    }

    private static void writeInChunks(OutputStream out, byte[] bytes, Random random) throws IOException {
        for (int at = 0; at < bytes.length; ) {
            int n = Math.min(bytes.length - at, 1 + random.nextInt(64 * 1024));
            out.write(bytes, at, n);
            at += n;
        }
    }

    private static void assertClosed(Socket client) throws IOException {
        try {
            assertEquals(-1, client.getInputStream().read());
        } catch (SocketException reset) {
            // a reset is a close too
        }
    }

    private static void assertTimesNeverGoBack(List<RecordedEvent> events) {
        for (int i = 1; i < events.size(); i++) {
            assertTrue(events.get(i).micros() >= events.get(i - 1).micros(), events.get(i) + " after " + events.get(i - 1));
        }
    }

    private static List<String> describe(List<RecordedEvent> events) {
        List<String> out = new ArrayList<>();
        for (RecordedEvent e : events) {
            out.add(e.kind() + " " + e.side().letter() + (e.kind() == Kind.DATA
                    ? " " + new String(e.bytes(), StandardCharsets.US_ASCII) : ""));
        }
        return out;
    }

    /**
     * A server that, on each connection, reads everything while sending random bytes of its own in random
     * chunks, then half-closes; it keeps {what it received, what it sent} per connection.
     */
    private final class TalkingServer implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
        private final BlockingQueue<byte[][]> conversations = new LinkedBlockingQueue<>();

        TalkingServer(long seed) throws IOException {
            closeables.add(this);
            Random seeds = new Random(seed);
            threads.submit(() -> {
                while (!server.isClosed()) {
                    Socket s = server.accept();
                    Random random = new Random(seeds.nextLong());
                    threads.submit(() -> {
                        try (s) {
                            InputStream in = s.getInputStream();
                            Future<byte[]> received = threads.submit(in::readAllBytes);
                            byte[] sent = new byte[1 + random.nextInt(512 * 1024)];
                            random.nextBytes(sent);
                            writeInChunks(s.getOutputStream(), sent, random);
                            s.shutdownOutput();
                            conversations.add(new byte[][] {received.get(30, TimeUnit.SECONDS), sent});
                        }
                        return null;
                    });
                }
                return null;
            });
        }

        InetSocketAddress address() {
            return new InetSocketAddress("127.0.0.1", server.getLocalPort());
        }

        List<byte[][]> conversations(int count) throws InterruptedException {
            List<byte[][]> all = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                byte[][] c = conversations.poll(30, TimeUnit.SECONDS);
                assertTrue(c != null, "server conversation " + i);
                all.add(c);
            }
            return all;
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
