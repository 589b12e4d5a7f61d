package dev.mproxy.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mproxy.auth.DeviceToken;
import dev.mproxy.auth.GatewaySecret;
import dev.mproxy.auth.TokenSigner;
import dev.mproxy.auth.TokenVerifier;
import dev.mproxy.connector.Connector;
import dev.mproxy.connector.ConnectorConfig;
import dev.mproxy.connector.LocalService;
import dev.mproxy.connector.Mappings;
import dev.mproxy.connector.ProxyProtocol;
import dev.mproxy.testing.EchoService;
import dev.mproxy.testing.Loopback;
import dev.mproxy.testing.TestSecrets;
import dev.mproxy.tls.GatewayCertificate;
import dev.mproxy.tls.SelfSignedCertificateGenerator;
import dev.mproxy.tls.TlsContexts;
import dev.mproxy.tunnel.ControlMessages;
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
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A real gateway and real connectors over TLS and WebSocket on loopback, with a local echo service. */
@Timeout(60)
class GatewayConnectorTest {

    private final GatewaySecret secret = TestSecrets.random();
    private final TokenSigner signer = new TokenSigner(secret, Clock.systemUTC());
    private final GatewayCertificate certificate = SelfSignedCertificateGenerator.generate(List.of("localhost"));
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final ExecutorService clients = Executors.newCachedThreadPool();
    private EchoService echo;
    private GatewayServer gateway;

    @BeforeEach
    void start() throws Exception {
        echo = new EchoService();
        gateway = startGateway(new InetSocketAddress("127.0.0.1", 0));
    }

    @AfterEach
    void stop() throws Exception {
        clients.shutdownNow();
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        echo.close();
    }

    @Test
    void publicTcpPortReachesTheDevicesLocalServiceThroughTlsAndWebSocket() throws Exception {
        int port = Loopback.freePort();
        BlockingQueue<Grant> grants = new LinkedBlockingQueue<>();
        connect("pi", port, grants);
        Grant grant = grants.poll(20, TimeUnit.SECONDS);
        assertEquals(List.of(port), List.copyOf(grant.ports()), String.valueOf(grant));

        byte[] payload = new byte[3 * 1024 * 1024];
        new Random(1).nextBytes(payload);
        assertEchoes(port, payload);
    }

    @Test
    void twoHundredParallelStreamsArriveIntactBothWays() throws Exception {
        // Up to 2 MiB each, about 200 MiB each way: most streams pass the 256 KiB pause threshold, so every one of
        // them is paused and resumed while the others flow. 8 MiB each (800 MiB) took 10-20 s on an idle machine
        // under the PARANOID leak detector and passed its time limit whenever other work shared the two cores.
        int port = Loopback.freePort();
        BlockingQueue<Grant> grants = new LinkedBlockingQueue<>();
        connect("pi", port, grants);
        grants.poll(20, TimeUnit.SECONDS);
        Random random = new Random(200);
        List<Future<?>> streams = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            byte[] payload = new byte[1 + random.nextInt(2 * 1024 * 1024)];
            random.nextBytes(payload);
            long seed = random.nextLong();
            streams.add(clients.submit(() -> {
                try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
                    client.setSoTimeout(50_000);
                    Future<byte[]> echoed = clients.submit(() -> client.getInputStream().readAllBytes());
                    Random chunks = new Random(seed);
                    OutputStream out = client.getOutputStream();
                    for (int at = 0; at < payload.length; ) {
                        int n = Math.min(payload.length - at, 1 + chunks.nextInt(256 * 1024));
                        out.write(payload, at, n);
                        at += n;
                    }
                    client.shutdownOutput();
                    assertArrayEquals(sha256(payload), sha256(echoed.get(50, TimeUnit.SECONDS)));
                }
                return null;
            }));
        }
        for (Future<?> stream : streams) {
            stream.get(55, TimeUnit.SECONDS);
        }
    }

    @Test
    void serviceThatAnswersOnlyAfterEofStillReachesTheHalfClosedClient() throws Exception {
        try (ServerSocket answering = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            clients.submit(() -> {
                try (Socket s = answering.accept()) {
                    long n = s.getInputStream().transferTo(OutputStream.nullOutputStream());
                    s.getOutputStream().write(("got " + n + " bytes").getBytes(StandardCharsets.US_ASCII));
                }
                return null;
            });
            int port = Loopback.freePort();
            BlockingQueue<Grant> grants = new LinkedBlockingQueue<>();
            connect("pi", port, grants, new InetSocketAddress("127.0.0.1", answering.getLocalPort()));
            grants.poll(20, TimeUnit.SECONDS);
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
                client.setSoTimeout(20_000);
                client.getOutputStream().write(new byte[300_000]);
                client.shutdownOutput();
                assertEquals("got 300000 bytes", new String(client.getInputStream().readAllBytes(),
                        StandardCharsets.US_ASCII));
            }
        }
    }

    @Test
    void stalledReaderOnOneStreamLeavesTheOtherFlowingAndTheBacklogBounded() throws Exception {
        // A service that sends up to 256 MiB to whoever connects; the public client on it stops reading.
        AtomicLong sent = new AtomicLong();
        try (ServerSocket firehose = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            clients.submit(() -> {
                try (Socket s = firehose.accept()) {
                    byte[] chunk = new byte[64 * 1024];
                    while (sent.get() < 256L * 1024 * 1024) {
                        s.getOutputStream().write(chunk); // blocks once pause has reached the device
                        sent.addAndGet(chunk.length);
                    }
                }
                return null;
            });
            int stalledPort = Loopback.freePort();
            int echoPort = Loopback.freePort();
            String token = signer.sign(new DeviceToken("pi", List.of(stalledPort, echoPort), List.of(), null));
            BlockingQueue<Grant> grants = new LinkedBlockingQueue<>();
            closeables.add(new Connector(connectorConfig(token, Map.of(stalledPort,
                    new InetSocketAddress("127.0.0.1", firehose.getLocalPort()), echoPort, echo.address())),
                    grants::add).start());
            grants.poll(20, TimeUnit.SECONDS);
            try (Socket stalled = new Socket(InetAddress.getLoopbackAddress(), stalledPort)) {
                stalled.setSoTimeout(20_000);
                stalled.getInputStream().read(); // it flows, then this client stops reading
                byte[] payload = new byte[16 * 1024 * 1024];
                new Random(7).nextBytes(payload);
                assertEchoes(echoPort, payload);
                // pause crossed the gateway and the device stopped reading the firehose: what left it is what
                // the kernel buffers of the stalled path hold plus each side's bounded backlog (about 8 MiB
                // measured; without pause it would be all 256 MiB, held by the gateway)
                long backlog = sent.get();
                assertTrue(backlog < 24L * 1024 * 1024, "firehose sent " + backlog + " bytes");
            }
        }
    }

    @Test
    void tlsThroughTheSharedPortIsPassedThroughToTheDevicesOwnTlsServer() throws Exception {
        // routing 2.1: the client completes its handshake with the device's certificate, not the gateway's
        GatewayCertificate deviceCertificate = SelfSignedCertificateGenerator.generate(List.of("pi.example.com"));
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("device", deviceCertificate.privateKey(), new char[0], deviceCertificate.chain());
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, new char[0]);
        SSLContext serverTls = SSLContext.getInstance("TLS");
        serverTls.init(kmf.getKeyManagers(), null, null);
        try (ServerSocket tlsServer = serverTls.getServerSocketFactory().createServerSocket(0, 5,
                InetAddress.getLoopbackAddress())) {
            clients.submit(() -> {
                try (Socket s = tlsServer.accept()) {
                    s.getOutputStream().write(("hello from the device to "
                            + (char) s.getInputStream().read()).getBytes(StandardCharsets.US_ASCII));
                }
                return null;
            });
            try (GatewayServer shared = new GatewayServer(config(new InetSocketAddress("127.0.0.1", 0), true)
                    .toBuilder().tlsPort(OptionalInt.of(0)).httpPort(OptionalInt.of(0)).build()).start()) {
                String token = signer.sign(new DeviceToken("pi", List.of(), List.of("pi.example.com"), null));
                Mappings mappings = Mappings.builder().https("pi.example.com", new LocalService(
                        new InetSocketAddress("127.0.0.1", tlsServer.getLocalPort()), ProxyProtocol.NONE)).build();
                BlockingQueue<Grant> grants = new LinkedBlockingQueue<>();
                closeables.add(new Connector(ConnectorConfig.newBuilder()
                        .gateway(URI.create("wss://localhost:" + shared.deviceAddress().getPort() + "/")).token(token)
                        .tls(TlsContexts.clientPinned(certificate.fingerprint())).mappings(mappings)
                        .maxBackoff(Duration.ofSeconds(2)).build(), grants::add).start());
                grants.poll(20, TimeUnit.SECONDS);

                SSLContext trustDevice = SSLContext.getInstance("TLS");
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                KeyStore trusted = KeyStore.getInstance("PKCS12");
                trusted.load(null, null);
                trusted.setCertificateEntry("device", deviceCertificate.certificate());
                tmf.init(trusted);
                trustDevice.init(null, tmf.getTrustManagers(), null);
                try (SSLSocket client = (SSLSocket) trustDevice.getSocketFactory().createSocket(
                        InetAddress.getLoopbackAddress(), shared.tlsAddress().getPort())) {
                    client.setSoTimeout(20_000);
                    SSLParameters parameters = client.getSSLParameters();
                    parameters.setServerNames(List.of(new SNIHostName("pi.example.com")));
                    parameters.setEndpointIdentificationAlgorithm("HTTPS");
                    client.setSSLParameters(parameters);
                    client.startHandshake();
                    assertEquals(deviceCertificate.certificate(), client.getSession().getPeerCertificates()[0]);
                    client.getOutputStream().write('X');
                    client.getOutputStream().flush();
                    assertEquals("hello from the device to X", new String(client.getInputStream().readAllBytes(),
                            StandardCharsets.US_ASCII));
                }
            }
        }
    }

    @Test
    void deviceCannotServeAPortItsTokenDoesNotGrant() throws Exception {
        int granted = Loopback.freePort();
        int notGranted = Loopback.freePort();
        String token = signer.sign(new DeviceToken("pi", List.of(granted), List.of(), null));
        BlockingQueue<Grant> grants = new LinkedBlockingQueue<>();
        closeables.add(new Connector(connectorConfig(token, Map.of(granted, echo.address(), notGranted,
                echo.address())), grants::add).start());
        Grant grant = grants.poll(20, TimeUnit.SECONDS);
        assertEquals(List.of(granted), List.copyOf(grant.ports()), String.valueOf(grant));
        assertEchoes(granted, "ok".getBytes(StandardCharsets.US_ASCII));
        assertThrows(java.net.ConnectException.class,
                () -> new Socket(InetAddress.getLoopbackAddress(), notGranted).close());
    }

    @Test
    void portOutsideTheAllowedRangeIsRefusedInTheGrant() throws Exception {
        BlockingQueue<Grant> grants = new LinkedBlockingQueue<>();
        connect("pi", 80, grants);
        // control 2.4: the connector learns what was refused, and why, from the errors before the grant
        Grant grant = grants.poll(20, TimeUnit.SECONDS);
        assertEquals(List.of(), List.copyOf(grant.ports()), String.valueOf(grant));
        Grant.Refusal refused = grant.refused().get(0);
        assertEquals(80, refused.port());
        assertEquals("E_PORT_NOT_ALLOWED", refused.code());
        assertTrue(refused.message().contains("outside"), refused.toString());
    }

    @Test
    void publicConnectionsCloseWhenTheDeviceGoes() throws Exception {
        int port = Loopback.freePort();
        BlockingQueue<Grant> grants = new LinkedBlockingQueue<>();
        Connector device = connect("pi", port, grants);
        grants.poll(20, TimeUnit.SECONDS);
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
            client.setSoTimeout(5_000);
            client.getOutputStream().write(7);
            assertEquals(7, client.getInputStream().read());
            device.close();
            assertClosed(client);
        }
    }

    @Test
    void connectorComesBackAfterTheGatewayRestarts() throws Exception {
        int port = Loopback.freePort();
        BlockingQueue<Grant> grants = new LinkedBlockingQueue<>();
        connect("pi", port, grants);
        grants.poll(20, TimeUnit.SECONDS);
        InetSocketAddress devicePort = gateway.deviceAddress();
        gateway.close();
        closeables.remove(gateway);
        gateway = startGateway(devicePort);
        Grant again = grants.poll(30, TimeUnit.SECONDS);
        assertTrue(again != null, "the connector re-authenticated and re-claimed its port");
        assertEchoes(port, "back".getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void deviceThatReconnectsTakesOverAndTheOldTunnelCloses() throws Exception {
        int port = Loopback.freePort();
        BlockingQueue<Grant> first = new LinkedBlockingQueue<>();
        BlockingQueue<Grant> second = new LinkedBlockingQueue<>();
        connect("pi", port, first);
        first.poll(20, TimeUnit.SECONDS);
        connect("pi", port, second);
        second.poll(20, TimeUnit.SECONDS);
        assertEchoes(port, "served".getBytes(StandardCharsets.US_ASCII));
        assertEquals(1, gateway.deviceCount());
    }

    @Test
    void badTokensAreRefusedAtUpgradeWith401AndAReason() throws Exception {
        try (GatewayServer plain = new GatewayServer(config(new InetSocketAddress("127.0.0.1", 0), false)).start()) {
            String expired = new TokenSigner(secret, Clock.fixed(Instant.parse("2020-01-01T00:00:00Z"),
                    java.time.ZoneOffset.UTC)).sign(new DeviceToken("pi", List.of(5000), List.of(),
                    Instant.parse("2020-01-02T00:00:00Z")));
            String otherKey = new TokenSigner(TestSecrets.random(), Clock.systemUTC())
                    .sign(new DeviceToken("pi", List.of(5000), List.of(), null));
            String none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJwaSIsInBvcnRzIjpbNTAwMF19.";
            Map<String, String> cases = Map.of(
                    "Authorization: Bearer not-a-jwt", "",
                    "Authorization: Bearer " + expired, "expired",
                    "Authorization: Bearer " + otherKey, "signature",
                    "Authorization: Bearer " + none, "none");
            for (Map.Entry<String, String> c : cases.entrySet()) {
                String response = upgrade(plain.deviceAddress(), "/", c.getKey());
                assertTrue(response.startsWith("HTTP/1.1 401"), c.getKey() + " -> " + response);
                assertTrue(response.contains("\"code\":\"E_INVALID_TOKEN\""), response);
                assertTrue(response.toLowerCase().contains(c.getValue()), response);
            }
            assertTrue(upgrade(plain.deviceAddress(), "/?access_token=x.y.z", "").startsWith("HTTP/1.1 401"));
            assertTrue(upgrade(plain.deviceAddress(), "/elsewhere", "").startsWith("HTTP/1.1 404"));
            String good = signer.sign(new DeviceToken("pi", List.of(5000), List.of(), null));
            assertTrue(upgrade(plain.deviceAddress(), "/", "Authorization: Bearer " + good)
                    .startsWith("HTTP/1.1 101"));
            assertTrue(upgrade(plain.deviceAddress(), "/", "").startsWith("HTTP/1.1 101"),
                    "no token is allowed at upgrade: add_token may follow in-band");
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------------

    private GatewayServer startGateway(InetSocketAddress listen) throws Exception {
        GatewayServer server = new GatewayServer(config(listen, true)).start();
        closeables.add(server);
        return server;
    }

    private GatewayConfig config(InetSocketAddress listen, boolean tls) throws Exception {
        return GatewayConfig.newBuilder().listen(listen).tls(tls ? TlsContexts.server(certificate) : null)
                .verifier(new TokenVerifier(secret, Clock.systemUTC())).publicBindHost("127.0.0.1")
                .tlsPort(OptionalInt.empty()).httpPort(OptionalInt.empty()).build();
    }

    private Connector connect(String device, int port, BlockingQueue<Grant> grants) throws Exception {
        return connect(device, port, grants, echo.address());
    }

    private Connector connect(String device, int port, BlockingQueue<Grant> grants, InetSocketAddress service)
            throws Exception {
        String token = signer.sign(new DeviceToken(device, List.of(port), List.of(), null));
        Connector connector = new Connector(connectorConfig(token, Map.of(port, service)), grants::add).start();
        closeables.add(connector);
        return connector;
    }

    private ConnectorConfig connectorConfig(String token, Map<Integer, InetSocketAddress> targets)
            throws SSLException {
        return ConnectorConfig.newBuilder()
                .gateway(URI.create("wss://localhost:" + gateway.deviceAddress().getPort() + "/")).token(token)
                .tls(TlsContexts.clientPinned(certificate.fingerprint())).tcp(targets)
                .maxBackoff(Duration.ofSeconds(2)).build();
    }

    private void assertEchoes(int port, byte[] payload) throws Exception {
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
            client.setSoTimeout(20_000);
            Future<byte[]> echoed = clients.submit(() -> client.getInputStream().readAllBytes());
            client.getOutputStream().write(payload);
            client.shutdownOutput();
            assertArrayEquals(sha256(payload), sha256(echoed.get(20, TimeUnit.SECONDS)));
        }
    }

    private static void assertClosed(Socket client) throws IOException {
        try {
            assertEquals(-1, client.getInputStream().read());
        } catch (SocketException reset) {
            // a reset is a close: what matters is that the read did not hang
        }
    }

    /** Sends a WebSocket upgrade by hand and returns the response head and body. */
    private static String upgrade(InetSocketAddress gateway, String path, String header) throws IOException {
        try (Socket s = new Socket(gateway.getAddress(), gateway.getPort())) {
            s.setSoTimeout(10_000);
            String request = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + "Sec-WebSocket-Version: 13\r\n" + (header.isEmpty() ? "" : header + "\r\n") + "\r\n";
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            StringBuilder response = new StringBuilder();
            byte[] buf = new byte[4096];
            int n;
            while ((n = in.read(buf)) > 0) {
                response.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                if (response.toString().startsWith("HTTP/1.1 101") && response.indexOf("\r\n\r\n") > 0) {
                    break; // upgraded: the tunnel now waits for frames
                }
            }
            return response.toString();
        }
    }

    private static byte[] sha256(byte[] bytes) throws java.security.NoSuchAlgorithmException {
        return MessageDigest.getInstance("SHA-256").digest(bytes);
    }

    /** A blocking echo server that half-closes back after its input ends. */
    static {
        ControlMessages.ok(1).release(); // JSON support is loaded before the first test's timer starts
    }
}
