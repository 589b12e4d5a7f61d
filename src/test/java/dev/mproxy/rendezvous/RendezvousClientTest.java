package dev.mproxy.rendezvous;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mproxy.auth.DeviceToken;
import dev.mproxy.auth.GatewaySecret;
import dev.mproxy.auth.TokenSigner;
import dev.mproxy.auth.TokenVerifier;
import dev.mproxy.gateway.GatewayConfig;
import dev.mproxy.gateway.GatewayServer;
import dev.mproxy.relay.Relay;
import dev.mproxy.testing.TestSecrets;
import dev.mproxy.tls.ClientTls;
import dev.mproxy.tls.GatewayCertificate;
import dev.mproxy.tls.SelfSignedCertificateGenerator;
import dev.mproxy.tls.TlsContexts;
import dev.mproxy.transport.Transport;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code mproxy relay}'s client through a real gateway over TLS on loopback (protocol-spec/rendezvous.md §6). */
@Timeout(60)
class RendezvousClientTest {

    private static final String ID = "relay-client-test-0001";
    private static final long TIMEOUT = 30;

    private final GatewaySecret secret = TestSecrets.random();
    private final TokenSigner signer = new TokenSigner(secret, Clock.systemUTC());
    private final GatewayCertificate certificate = SelfSignedCertificateGenerator.generate(List.of("localhost"));
    private final EventLoopGroup peers = Transport.newGroup(1);
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private GatewayServer gateway;
    private ClientTls tls;

    @BeforeEach
    void start() throws Exception {
        tls = TlsContexts.clientPinned(certificate.fingerprint());
        gateway = gateway(Duration.ofSeconds(15));
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        threads.shutdownNow();
        peers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void stdioAndALocalServiceExchangeBytesBothWaysAndEndCleanly() throws Exception {
        // rendezvous 6.1, 6.4: 3 MiB in, 2 MiB out, each SHA-256-equal; stdin's EOF ends one way, the service's
        // the other, and the session ends without a failure
        Service service = new Service(2 * 1024 * 1024, 11);
        client("alice", 1).connect(service.address());
        Pipe stdin = new Pipe();
        Output stdout = new Output();
        CompletableFuture<Relay> session = client("alice", 1).stdio(stdin.in, stdout);
        byte[] input = random(3 * 1024 * 1024, 12);
        threads.submit(() -> stdin.writeAndClose(input));

        Relay relay = session.get(TIMEOUT, TimeUnit.SECONDS);
        assertNull(relay.failure());
        assertTrue(stdout.closed.isDone(), "stdout closed once the session ended");
        assertArrayEquals(service.sent, stdout.bytes());
        assertArrayEquals(sha256(input), service.received(0).get(TIMEOUT, TimeUnit.SECONDS));
    }

    @Test
    void bytesGoInBinaryFramesAndCloseFramesEndEachDirection() throws Exception {
        // rendezvous 6.3, 6.4, against a peer that is Netty's own WebSocket client
        WsPeer peer = WsPeer.open(peers, uri(ID), tls, token("alice"));
        Pipe stdin = new Pipe();
        Output stdout = new Output();
        CompletableFuture<Relay> session = client(null, 1).stdio(stdin.in, stdout);
        peer.expectGreeting();
        stdin.out.write("hello".getBytes(StandardCharsets.US_ASCII));
        stdin.out.flush();
        WsPeer.Frame hello = peer.next();
        assertEquals(WsPeer.BINARY, hello.kind());
        assertEquals("hello", hello.text());
        stdin.out.close();
        peer.expectClose(1000, "");

        peer.send(new BinaryWebSocketFrame(Unpooled.copiedBuffer("world", StandardCharsets.US_ASCII)));
        peer.sendClose(1000, "");
        Relay relay = session.get(TIMEOUT, TimeUnit.SECONDS);
        assertNull(relay.failure());
        assertEquals("world", new String(stdout.bytes(), StandardCharsets.US_ASCII));
        peer.expectGone();
    }

    @Test
    void textFrameFromThePeerIsRefusedWith1003AndFailsTheSession() throws Exception {
        // rendezvous 6.3
        WsPeer peer = WsPeer.open(peers, uri(ID), tls, token("alice"));
        Pipe stdin = new Pipe();
        CompletableFuture<Relay> session = client(null, 1).stdio(stdin.in, new Output());
        peer.expectGreeting();
        peer.sendText("not bytes");
        peer.expectClose(1003, "text frame on a tunnel (expected: binary frames)");
        Relay relay = session.get(TIMEOUT, TimeUnit.SECONDS);
        assertTrue(RendezvousClient.why(relay).startsWith("relay connection failed: "), RendezvousClient.why(relay));
    }

    @Test
    void listenGivesEachConnectionItsOwnSessionAndClosesOneTooMany() throws Exception {
        // rendezvous 6.5: three connections at once through three ids, a fourth finds none free
        Service service = new Service(256 * 1024, 21);
        client("alice", 3).connect(service.address());
        InetSocketAddress local = client("alice", 3).listen(new InetSocketAddress("127.0.0.1", 0));
        List<Socket> sockets = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Socket s = new Socket(InetAddress.getLoopbackAddress(), local.getPort());
            s.setSoTimeout(20_000);
            sockets.add(s);
            // paired, and the service reached: its first bytes arrive (so the service accepts in this order)
            assertArrayEquals(Arrays.copyOf(service.sent, 16), s.getInputStream().readNBytes(16));
        }
        try (Socket fourth = new Socket(InetAddress.getLoopbackAddress(), local.getPort())) {
            fourth.setSoTimeout(20_000);
            assertClosed(fourth);
        }
        for (int i = 0; i < 3; i++) {
            Socket s = sockets.get(i);
            byte[] payload = random(512 * 1024, i);
            Future<byte[]> rest = threads.submit(() -> s.getInputStream().readAllBytes());
            s.getOutputStream().write(payload);
            s.shutdownOutput();
            assertArrayEquals(Arrays.copyOfRange(service.sent, 16, service.sent.length),
                    rest.get(TIMEOUT, TimeUnit.SECONDS));
            assertArrayEquals(sha256(payload), service.received(i).get(TIMEOUT, TimeUnit.SECONDS));
            s.close();
        }
    }

    @Test
    void connectWaitsAgainAfterEachHoldTimeoutAndEachSession() throws Exception {
        // rendezvous 6.5, 6.6
        GatewayServer quick = gateway(Duration.ofMillis(300));
        Service service = new Service(1000, 22);
        client(quick, "alice", 1).connect(service.address());
        Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> quick.rendezvous().metrics().holdTimeouts() >= 2);
        for (int i = 0; i < 2; i++) {
            Awaitility.await().atMost(20, TimeUnit.SECONDS)
                    .until(() -> quick.rendezvous().metrics().waitingPeers() == 1);
            Pipe stdin = new Pipe();
            Output stdout = new Output();
            CompletableFuture<Relay> session = client(quick, null, 1).stdio(stdin.in, stdout);
            byte[] input = ("session " + i).getBytes(StandardCharsets.US_ASCII);
            stdin.writeAndClose(input);
            assertNull(session.get(TIMEOUT, TimeUnit.SECONDS).failure());
            assertArrayEquals(service.sent, stdout.bytes());
            assertArrayEquals(sha256(input), service.received(i).get(TIMEOUT, TimeUnit.SECONDS));
        }
    }

    @Test
    void connectSideThatCannotReachItsServiceClosesWith1011AndThePeerSaysWhy() throws Exception {
        // rendezvous 6.6, 6.4
        int deadPort;
        try (ServerSocket unused = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            deadPort = unused.getLocalPort();
        }
        client("alice", 1).connect(new InetSocketAddress("127.0.0.1", deadPort));
        CompletableFuture<Relay> session = client("alice", 1).stdio(new Pipe().in, new Output());
        String why = RendezvousClient.why(session.get(TIMEOUT, TimeUnit.SECONDS));
        assertTrue(why.contains("the other peer closed the relay: 1011 \"cannot connect to 127.0.0.1:" + deadPort),
                why);
    }

    @Test
    void connectSideWhoseLongServiceNameIsUnknownSaysWhyInACloseFrameThatFits() throws Exception {
        // rendezvous 6.6: the reason names the service and the failure, cut to a close frame's 123 bytes (it
        // was sent whole, and the gateway refused the frame, so the peer only heard 1001)
        String name = "a-service-with-a-rather-long-name-" + "x".repeat(60) + ".invalid";
        OffLoopResolver dns = new OffLoopResolver(host -> {
            if (host.equals("localhost")) {
                return InetAddress.getLoopbackAddress();
            }
            throw new UnknownHostException(host + ": Name or service not known");
        });
        RendezvousClient connect = new RendezvousClient(new RendezvousDialer(URI.create("wss://localhost:"
                + gateway.deviceAddress().getPort()), token("alice"), tls, dns), ID, 1);
        closeables.add(connect);
        connect.connect(InetSocketAddress.createUnresolved(name, 22));
        Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> gateway.rendezvous().metrics().waitingPeers() == 1);
        WsPeer peer = WsPeer.open(peers, uri(ID), tls, null);
        peer.expectGreeting();
        WsPeer.Frame close = peer.next();
        assertEquals(1011, close.status(), close.toString());
        assertTrue(close.reason().startsWith("cannot connect to " + name.substring(0, 60)), close.reason());
        assertTrue(close.reason().endsWith("..."), close.reason());
        assertTrue(close.reason().getBytes(StandardCharsets.UTF_8).length <= 123, close.reason());
    }

    @Test
    void connectSideWhoseServiceResetsAfterTheOthersCleanCloseSends1011Not1000() throws Exception {
        // rendezvous 6.4: a failure after a clean 1000 from the other peer is reported as a failure
        ServerSocket service = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        closeables.add(service);
        threads.submit(() -> {
            try (Socket s = service.accept()) {
                s.getInputStream().readAllBytes(); // until the relay ends its output: the peer's close arrived
                s.setSoLinger(true, 0); // then a reset
            }
            return null;
        });
        client("alice", 1).connect(new InetSocketAddress("127.0.0.1", service.getLocalPort()));
        Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> gateway.rendezvous().metrics().waitingPeers() == 1);
        WsPeer peer = WsPeer.open(peers, uri(ID), tls, null);
        peer.expectGreeting();
        peer.sendClose(1000, "");
        peer.expectClose(1011, WebSocketEnd.LOCAL_SIDE_FAILED);
    }

    @Test
    void gatewaysNameIsLookedUpOffTheEventLoop() throws Exception {
        // Netty's default resolver looks a name up on the loop that connects, stalling all its channels
        CountDownLatch lookingUp = new CountDownLatch(1);
        CountDownLatch answer = new CountDownLatch(1);
        List<Thread> lookups = new CopyOnWriteArrayList<>();
        OffLoopResolver slowDns = new OffLoopResolver(host -> {
            assertEquals("localhost", host);
            lookups.add(Thread.currentThread());
            lookingUp.countDown();
            try {
                answer.await(TIMEOUT, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return InetAddress.getLoopbackAddress();
        });
        RendezvousDialer dialer = new RendezvousDialer(URI.create("wss://localhost:" + gateway.deviceAddress().getPort()),
                token("alice"), tls, slowDns);
        EventLoop loop = peers.next();
        io.netty.util.concurrent.Future<RendezvousDialer.Joined> joined = dialer.join(loop, ID);
        assertTrue(lookingUp.await(TIMEOUT, TimeUnit.SECONDS));
        assertEquals("free", loop.submit(() -> "free").get(TIMEOUT, TimeUnit.SECONDS),
                "the loop runs while the name is looked up");

        answer.countDown();
        Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> gateway.rendezvous().metrics().waitingPeers() == 1);
        WsPeer peer = WsPeer.open(peers, uri(ID), tls, null);
        peer.expectGreeting();
        Channel ws = joined.get(TIMEOUT, TimeUnit.SECONDS).end().channel();
        assertFalse(loop.inEventLoop(lookups.get(0)));
        ws.close().sync();
    }

    @Test
    void refusedUpgradeIsReportedWithTheGatewaysReasonAndStopsConnect() throws Exception {
        // rendezvous 6.2, 6.6
        String foreign = new TokenSigner(TestSecrets.random(), Clock.systemUTC())
                .sign(new DeviceToken("alice", List.of(), List.of(), null));
        RendezvousClient stdio = new RendezvousClient(new RendezvousDialer(uri(ID), foreign, tls), ID, 1);
        closeables.add(stdio);
        ExecutionException refused = assertThrows(ExecutionException.class,
                () -> stdio.stdio(new Pipe().in, new Output()).get(TIMEOUT, TimeUnit.SECONDS));
        RendezvousJoinException e = assertInstanceOf(RendezvousJoinException.class, refused.getCause());
        assertEquals(RendezvousJoinException.Kind.REFUSED_UPGRADE, e.kind());
        assertEquals("gateway refused the relay: 401 Unauthorized: \"token signature does not verify with this "
                + "gateway's secret\"", e.getMessage());

        RendezvousClient connect = new RendezvousClient(new RendezvousDialer(uri(ID), foreign, tls), ID, 1);
        closeables.add(connect);
        connect.connect(new InetSocketAddress("127.0.0.1", 9));
        ExecutionException stopped = assertThrows(ExecutionException.class,
                () -> connect.stopped().get(TIMEOUT, TimeUnit.SECONDS));
        assertEquals(e.getMessage(), stopped.getCause().getMessage());
    }

    @Test
    void holdTimeoutIsReportedWithTheGatewaysStatusAndReason() throws Exception {
        // rendezvous 6.2, 2.3
        GatewayServer quick = gateway(Duration.ofMillis(300));
        ExecutionException failed = assertThrows(ExecutionException.class, () -> client(quick, "alice", 1)
                .stdio(new Pipe().in, new Output()).get(TIMEOUT, TimeUnit.SECONDS));
        RendezvousJoinException e = assertInstanceOf(RendezvousJoinException.class, failed.getCause());
        assertEquals(RendezvousJoinException.Kind.HOLD_TIMEOUT, e.kind());
        assertEquals("gateway closed relay id " + ID + " before a peer joined: 1013 \"no peer joined within 300 ms\"",
                e.getMessage());
    }

    @Test
    void badIdsAndSessionCountsAreRefusedBeforeDialing() {
        // rendezvous 1.2, 6.5: the longest session id must be valid too
        RendezvousDialer dialer = new RendezvousDialer(uri(ID), null, tls);
        assertEquals("relay id is 5 characters long (expected: 16 to 128 base64url characters: A-Z, a-z, 0-9, "
                + "'-' and '_', no padding)", assertThrows(IllegalArgumentException.class,
                () -> new RendezvousClient(dialer, "short", 1)).getMessage());
        assertEquals("sessions: 0 (expected: 1 to 100)", assertThrows(IllegalArgumentException.class,
                () -> new RendezvousClient(dialer, ID, 0)).getMessage());
        String longest = "a".repeat(RendezvousId.MAX_LENGTH - 1);
        assertThrows(IllegalArgumentException.class, () -> new RendezvousClient(dialer, longest, 2));
        assertEquals(ID + "-7", RendezvousClient.sessionId(ID, 7));
    }

    // ---- helpers ----------------------------------------------------------------------------------------

    private RendezvousClient client(String user, int sessions) {
        return client(gateway, user, sessions);
    }

    private RendezvousClient client(GatewayServer server, String user, int sessions) {
        RendezvousClient client = new RendezvousClient(new RendezvousDialer(URI.create("wss://localhost:"
                + server.deviceAddress().getPort()), user == null ? null : token(user), tls), ID, sessions);
        closeables.add(client);
        return client;
    }

    private URI uri(String id) {
        return new RendezvousDialer(URI.create("wss://localhost:" + gateway.deviceAddress().getPort()), null, tls).uri(id);
    }

    private String token(String user) {
        return signer.sign(new DeviceToken(user, List.of(), List.of(), null));
    }

    private GatewayServer gateway(Duration hold) throws Exception {
        GatewayServer server = new GatewayServer(GatewayConfig.newBuilder()
                .listen(new InetSocketAddress("127.0.0.1", 0)).publicBindHost("127.0.0.1")
                .tls(TlsContexts.server(certificate)).tlsPort(OptionalInt.empty()).httpPort(OptionalInt.empty())
                .verifier(new TokenVerifier(secret, Clock.systemUTC())).relayHold(hold).build()).start();
        closeables.add(server);
        return server;
    }

    private static void assertClosed(Socket socket) throws IOException {
        try {
            assertEquals(-1, socket.getInputStream().read());
        } catch (SocketException reset) {
            // a reset is a close: what matters is that the read did not hang
        }
    }

    private static byte[] random(int length, long seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    static byte[] sha256(byte[] bytes) throws java.security.NoSuchAlgorithmException {
        return MessageDigest.getInstance("SHA-256").digest(bytes);
    }

    /** Standard input for a session: what the test writes to {@link #out}, {@link #in} reads. */
    private static final class Pipe {
        final PipedInputStream in = new PipedInputStream(64 * 1024);
        final PipedOutputStream out;

        Pipe() throws IOException {
            out = new PipedOutputStream(in);
        }

        Void writeAndClose(byte[] bytes) throws IOException {
            try (out) {
                out.write(bytes);
            }
            return null;
        }
    }

    /** Standard output for a session: keeps what is written, and says when it is closed. */
    private static final class Output extends OutputStream {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final CompletableFuture<Void> closed = new CompletableFuture<>();

        @Override
        public synchronized void write(int b) {
            bytes.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            bytes.write(b, off, len);
        }

        @Override
        public void close() {
            closed.complete(null);
        }

        synchronized byte[] bytes() {
            return bytes.toByteArray();
        }
    }

    /** A service that sends {@code sent} to each connection, reads all it gets, then ends its output. */
    private final class Service implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        final byte[] sent;
        private final Map<Integer, CompletableFuture<byte[]>> received = new ConcurrentHashMap<>();

        Service(int length, long seed) throws IOException {
            sent = random(length, seed);
            closeables.add(this);
            threads.submit(() -> {
                for (int n = 0; !server.isClosed(); n++) {
                    Socket s = server.accept();
                    CompletableFuture<byte[]> digest = received(n);
                    threads.submit(() -> {
                        try (s) {
                            Future<?> sending = threads.submit(() -> {
                                s.getOutputStream().write(sent);
                                return null;
                            });
                            MessageDigest sha = MessageDigest.getInstance("SHA-256");
                            InputStream in = s.getInputStream();
                            byte[] buf = new byte[64 * 1024];
                            for (int r; (r = in.read(buf)) > 0; ) {
                                sha.update(buf, 0, r);
                            }
                            sending.get(TIMEOUT, TimeUnit.SECONDS);
                            s.shutdownOutput();
                            digest.complete(sha.digest());
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

        /** The SHA-256 of what the service's {@code connection}-th connection (from 0) received. */
        CompletableFuture<byte[]> received(int connection) {
            return received.computeIfAbsent(connection, n -> new CompletableFuture<>());
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
