package dev.mproxy.cluster;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
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
import dev.mproxy.gateway.GatewayConfig;
import dev.mproxy.gateway.GatewayServer;
import dev.mproxy.tls.ClientTls;
import dev.mproxy.tls.GatewayCertificate;
import dev.mproxy.tls.TlsContexts;
import dev.mproxy.rendezvous.Rendezvous;
import dev.mproxy.rendezvous.WsPeer;
import dev.mproxy.testing.CuttableLink;
import dev.mproxy.testing.EchoService;
import dev.mproxy.testing.Loopback;
import dev.mproxy.testing.RedisServer;
import dev.mproxy.testing.TestSecrets;
import dev.mproxy.transport.Transport;
import dev.mproxy.tunnel.Grant;
import io.netty.channel.EventLoopGroup;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalInt;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two gateways in one cluster on a real redis-server, each with its own public address on loopback (127.0.0.1
 * and 127.0.0.2), a real device connector on the first and TCP clients at the second, and rendezvous peers at
 * both (protocol-spec/cluster.md).
 */
@Timeout(120)
class ClusterTest {

    private static final String NODE_1 = "127.0.0.1";
    private static final String NODE_2 = "127.0.0.2";
    /** A rendezvous relay id no one guesses (rendezvous 1.2). */
    private static final String RELAY_ID = "AAAAbbbbCCCCdddd-_01";

    private final GatewaySecret secret = TestSecrets.random();
    private final TokenSigner signer = new TokenSigner(secret, Clock.systemUTC());
    private final String clusterSecret = HexFormat.of().formatHex(TestSecrets.randomKey());
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final ExecutorService clients = Executors.newCachedThreadPool();
    private final EventLoopGroup peers = Transport.newGroup(1);
    private RedisServer redis;
    private EchoService echo;

    private record Node(GatewayServer gateway, RedisCluster member, String publicHost) {
        InetSocketAddress http() {
            return gateway.httpAddress();
        }

        InetSocketAddress tls() {
            return gateway.tlsAddress();
        }
    }

    @BeforeEach
    void start() throws Exception {
        redis = RedisServer.start();
        echo = new EchoService();
    }

    @AfterEach
    void stop() throws Exception {
        clients.shutdownNow();
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        echo.close();
        redis.close();
        peers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void fiftyParallelStreamsAtNodeTwoReachTheDeviceOnNodeOneIntact() throws Exception {
        Node one = node("one", NODE_1, redis.uri());
        Node two = node("two", NODE_2, redis.uri());
        int port = Loopback.freePort();
        connect(one, "pi", port);
        awaitServed(two, port); // cluster 3.1: node two listens on the port a device of node one holds

        Random random = new Random(50);
        List<Future<?>> streams = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            byte[] payload = new byte[1 + random.nextInt(1024 * 1024)];
            random.nextBytes(payload);
            streams.add(clients.submit(() -> {
                assertEchoes(two.publicHost(), port, payload); // cluster 3.2, 4.3, 4.4
                return null;
            }));
        }
        for (Future<?> stream : streams) {
            stream.get(100, TimeUnit.SECONDS);
        }
        assertEchoes(one.publicHost(), port, new byte[] {1, 2, 3}); // and node one still serves it itself
    }

    @Test
    void aNodeCutOffFromRedisLosesItsRoutesAndItsDevicesWithinTheLeaseAndStillServesItsOwn() throws Exception {
        try (CuttableLink link = new CuttableLink(new InetSocketAddress("127.0.0.1", redis.port()))) {
            Node one = node("one", NODE_1, URI.create("redis://127.0.0.1:" + link.port()));
            Node two = node("two", NODE_2, redis.uri());
            int port = Loopback.freePort();
            connect(one, "pi", port);
            awaitServed(two, port);
            try (RedisClient client = RedisClient.create(redis.uri().toString());
                 StatefulRedisConnection<String, String> state = client.connect()) {
                assertEquals("one", state.sync().get("mproxy:device:pi")); // cluster 2.1

                long cut = System.nanoTime();
                link.cut(); // node one can no longer refresh its leases: to the others it is dead (cluster 1.5)
                await("no route from node two to node one").atMost(Duration.ofSeconds(15))
                        .until(() -> !two.member().remotePorts().contains(port));
                long gone = System.nanoTime() - cut;
                await("node one's ownership lease ended").atMost(Duration.ofSeconds(5))
                        .until(() -> state.sync().get("mproxy:device:pi") == null);
                assertNotServed(two.publicHost(), port);
                System.out.printf("cluster: node two dropped its route to a cut-off node %d ms after the cut "
                        + "(bound: lease + heartbeat = %d ms, cluster 6)%n", gone / 1_000_000,
                        ClusterConfig.LEASE.plus(ClusterConfig.HEARTBEAT).toMillis());
                assertTrue(gone <= ClusterConfig.LEASE.plus(ClusterConfig.HEARTBEAT).plusSeconds(3).toNanos(),
                        "route gone after " + gone / 1_000_000 + " ms");
            }
            await("node one sees Redis unreachable").atMost(Duration.ofSeconds(15))
                    .until(() -> one.member().unavailable() != null);
            assertEchoes(one.publicHost(), port, new byte[] {4, 5, 6}); // cluster 4.6: its own device still served
        }
    }

    @Test
    void withRedisStoppedEachNodeServesItsOwnDevicesAndCrossNodeReturnsWhenRedisDoes() throws Exception {
        Node one = node("one", NODE_1, redis.uri());
        Node two = node("two", NODE_2, redis.uri());
        int port = Loopback.freePort();
        connect(one, "pi", port);
        awaitServed(two, port);

        redis.stop();
        await("node two sees the cluster state unavailable").atMost(Duration.ofSeconds(15))
                .until(() -> two.member().unavailable() != null);
        String reason = two.member().unavailable();
        assertTrue(reason.startsWith("cluster state unavailable: Redis at 127.0.0.1:" + redis.port()
                + " unreachable since "), reason); // cluster 4.6
        assertFalse(two.member().remotePorts().contains(port));
        assertNotServed(two.publicHost(), port);
        assertEchoes(one.publicHost(), port, new byte[] {7, 8, 9}); // local service continues

        redis.restart(); // empty: every node writes its keys again by itself (cluster 4.6)
        awaitServed(two, port);
        assertNotNull(two.member());
        assertEquals(null, two.member().unavailable());
    }

    @Test
    void aNodeThatFindsItsDeviceHeldElsewhereClosesItsTunnelAndTheDevicesNewTunnelClaimsIt() throws Exception {
        Node one = node("one", NODE_1, redis.uri());
        int port = Loopback.freePort();
        BlockingQueue<Grant> grants = connect(one, "pi", port);
        try (RedisClient client = RedisClient.create(redis.uri().toString());
             StatefulRedisConnection<String, String> state = client.connect()) {
            await().atMost(Duration.ofSeconds(10)).until(() -> "one".equals(state.sync().get("mproxy:device:pi")));
            // as when the device's newer tunnel reached node "two" before node one saw its old one drop
            state.sync().set("mproxy:device:pi", "two");
            // cluster 2.2: node one closes its tunnel within a heartbeat; the connector dials again, and its new
            // tunnel is a claim (2.1): the newest tunnel wins
            assertNotNull(grants.poll(20, TimeUnit.SECONDS), "the device never reconnected after the split");
            await().atMost(Duration.ofSeconds(10)).until(() -> "one".equals(state.sync().get("mproxy:device:pi")));
        }
        awaitServed(one, port);
    }

    @Test
    void httpByHostAndTlsBySniAtNodeTwoReachTheDeviceOnNodeOneUnchanged() throws Exception {
        Node one = node("one", NODE_1, redis.uri());
        Node two = node("two", NODE_2, redis.uri());
        LocalService service = new LocalService(echo.address(), ProxyProtocol.NONE);
        connect(one, "pi", List.of("app.example.com", "*.tls.example.com"), Mappings.builder()
                .http("app.example.com", service).https("*.tls.example.com", service));
        // cluster 5.1: the echo sends back the request head and the ClientHello as the node peeked them, then the rest
        byte[] body = new byte[256 * 1024];
        new Random(5).nextBytes(body);
        byte[] request = concat("GET / HTTP/1.1\r\nHost: app.example.com\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
                body);
        await("app.example.com served at node two").atMost(Duration.ofSeconds(20)).ignoreExceptions()
                .untilAsserted(() -> assertEchoes(two.http(), request));
        byte[] hello = concat(clientHello("a.tls.example.com"), body);
        assertEchoes(two.tls(), hello);
    }

    @Test
    void aNodeTunnelWithoutTheClusterSecretIsRefusedWithTheReason() throws Exception {
        Node one = node("one", NODE_1, redis.uri());
        InetSocketAddress devices = one.gateway().deviceAddress();
        String wrong = upgrade(devices, "/cluster", "Authorization: Bearer " + "x".repeat(64));
        assertTrue(wrong.startsWith("HTTP/1.1 401"), wrong); // cluster 4.2
        assertTrue(wrong.contains("E_CLUSTER_SECRET"), wrong);
        assertTrue(upgrade(devices, "/cluster", "").startsWith("HTTP/1.1 401"));
        assertTrue(upgrade(devices, "/cluster", "Authorization: Bearer " + clusterSecret).startsWith("HTTP/1.1 101"));
    }

    @Test
    void rendezvousPeersArrivingAtTwoNodesArePairedAndTheirBytesCrossIntactBothWays() throws Exception {
        Node one = node("one", NODE_1, redis.uri());
        Node two = node("two", NODE_2, redis.uri());
        WsPeer waiting = WsPeer.open(peers, relayUri(one, RELAY_ID), null, relayToken("alice"));
        try (RedisClient client = RedisClient.create(redis.uri().toString());
             StatefulRedisConnection<String, String> state = client.connect()) {
            await("the waiting peer published").atMost(Duration.ofSeconds(10))
                    .until(() -> "one".equals(state.sync().get("mproxy:relay:" + RELAY_ID))); // cluster 8.1
        }
        // no token: it can only join (rendezvous 2.1), and its peer waits at node one (cluster 8.2, 8.3)
        WsPeer joining = WsPeer.open(peers, relayUri(two, RELAY_ID), null, null);
        waiting.expectGreeting(); // rendezvous 2.6, from node one, through the node tunnel to the peer at node two
        joining.expectGreeting();
        joining.sendText("hello from node two");
        WsPeer.Frame text = waiting.next();
        assertEquals(WsPeer.TEXT, text.kind());
        assertEquals("hello from node two", text.text());

        long total = 8L * 1024 * 1024; // byte-exact both ways at once, in frames up to the relay's largest
        CompletableFuture<byte[]> atJoining = joining.digestBinary(total);
        CompletableFuture<byte[]> atWaiting = waiting.digestBinary(total);
        WsPeer.Pump fromWaiting = waiting.pump(total, Rendezvous.MAX_FRAME_PAYLOAD, new Random(81));
        WsPeer.Pump fromJoining = joining.pump(total, 64 * 1024, new Random(82));
        assertArrayEquals(fromWaiting.done.get(60, TimeUnit.SECONDS), atJoining.get(60, TimeUnit.SECONDS));
        assertArrayEquals(fromJoining.done.get(60, TimeUnit.SECONDS), atWaiting.get(60, TimeUnit.SECONDS));
    }

    @Test
    void aPeerWhoseWaitingPeerIsOnADeadNodeIsRefusedWithTheReasonAndServedHereOnceTheLeaseEnds() throws Exception {
        try (CuttableLink link = new CuttableLink(new InetSocketAddress("127.0.0.1", redis.port()))) {
            Node one = node("one", NODE_1, URI.create("redis://127.0.0.1:" + link.port()));
            Node two = node("two", NODE_2, redis.uri());
            WsPeer waiting = WsPeer.open(peers, relayUri(one, RELAY_ID), null, relayToken("alice"));
            try (RedisClient client = RedisClient.create(redis.uri().toString());
                 StatefulRedisConnection<String, String> state = client.connect()) {
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> "one".equals(state.sync().get("mproxy:relay:" + RELAY_ID)));
                link.cut(); // node one can tell Redis nothing more: its keys stay until their lease ends (1.5)
                closeables.remove(one.gateway());
                one.gateway().close(); // and it is gone
                waiting.expectGone();
                long asked = System.nanoTime();
                String refused = upgrade(two.gateway().deviceAddress(), "/relay?id=" + RELAY_ID, "");
                assertTrue(refused.startsWith("HTTP/1.1 503"), refused); // cluster 8.4
                assertTrue(refused.contains("E_RELAY_NODE_UNREACHABLE"), refused);
                assertTrue(refused.contains("the peer waiting for this relay id is at node one, which cannot be "
                        + "reached (cluster 8.4)"), refused);
                assertTrue(System.nanoTime() - asked < TimeUnit.SECONDS.toNanos(5), "refused only after "
                        + (System.nanoTime() - asked) / 1_000_000 + " ms");

                await("the dead node's relay lease ended").atMost(Duration.ofSeconds(10))
                        .until(() -> state.sync().get("mproxy:relay:" + RELAY_ID) == null);
            }
            // the id is no node's now: served at node two as on one gateway, where nobody waits (rendezvous 2.1)
            WsPeer late = WsPeer.open(peers, relayUri(two, RELAY_ID), null, null);
            late.expectClose(1008, "no authenticated peer is waiting for this relay id");
        }
    }

    @Test
    void withRedisStoppedAPeerThatCouldOnlyJoinIsRefusedAndOneWithATokenIsServedAtItsNode() throws Exception {
        Node one = node("one", NODE_1, redis.uri());
        Node two = node("two", NODE_2, redis.uri());
        WsPeer waiting = WsPeer.open(peers, relayUri(one, RELAY_ID), null, relayToken("alice"));
        closeables.add(waiting::closeAbruptly);
        try (RedisClient client = RedisClient.create(redis.uri().toString());
             StatefulRedisConnection<String, String> state = client.connect()) {
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> "one".equals(state.sync().get("mproxy:relay:" + RELAY_ID)));
        }
        redis.stop();
        long asked = System.nanoTime();
        String refused = upgrade(two.gateway().deviceAddress(), "/relay?id=" + RELAY_ID, "");
        long took = System.nanoTime() - asked;
        assertTrue(refused.startsWith("HTTP/1.1 503"), refused); // cluster 8.5
        assertTrue(refused.contains("E_CLUSTER_UNAVAILABLE"), refused);
        assertTrue(refused.contains("no peer waits for this relay id at this node, and the cluster's state is "
                + "unavailable (cluster 8.5)"), refused);
        // nothing waits on Redis longer than its command timeout (1.2)
        assertTrue(took < ClusterConfig.COMMAND_TIMEOUT.plusSeconds(2).toNanos(), "refused after " + took / 1_000_000
                + " ms");

        // a peer with a token is served at its own node, as by a single gateway, and pairs there (8.5)
        String other = "ZZZZyyyyXXXXwwww-_02";
        WsPeer local = WsPeer.open(peers, relayUri(two, other), null, relayToken("bob"));
        // its WebSocket is up at the client a moment before the relay has it waiting
        await().atMost(Duration.ofSeconds(10)).until(() -> two.gateway().rendezvous().holds(other));
        WsPeer joining = WsPeer.open(peers, relayUri(two, other), null, null);
        local.expectGreeting();
        joining.expectGreeting();
        joining.sendText("still paired");
        assertEquals("still paired", local.next().text());
    }

    @Test
    void nodesWithSelfSignedCertificatesReachEachOtherOverWssTrustingTheClusterCa(@TempDir Path tmp) throws Exception {
        GatewayCertificate first = GatewayCertificate.loadOrCreate(tmp.resolve("one"), List.of("localhost"));
        GatewayCertificate second = GatewayCertificate.loadOrCreate(tmp.resolve("two"), List.of("localhost"));
        // --cluster-ca: the nodes' own certificates, one PEM file
        Path both = Files.writeString(tmp.resolve("nodes.pem"),
                Files.readString(tmp.resolve("one").resolve(GatewayCertificate.CERTIFICATE_FILE))
                        + Files.readString(tmp.resolve("two").resolve(GatewayCertificate.CERTIFICATE_FILE)));
        ClientTls nodes = TlsContexts.clientWithCa(both);
        Node one = node("one", NODE_1, redis.uri(), first, nodes);
        Node two = node("two", NODE_2, redis.uri(), second, nodes);
        Node stranger = node("three", "127.0.0.3", redis.uri(), null, null); // the JDK's CAs only (4.8)
        int port = Loopback.freePort();
        connect(one, nodes, "pi", List.of(port), List.of(),
                Mappings.builder().tcp(port, new LocalService(echo.address(), ProxyProtocol.NONE)));
        awaitServed(two, port); // cluster 4.8: over wss, the holder's certificate trusted by --cluster-ca
        await("node three listens on the port").atMost(Duration.ofSeconds(10))
                .until(() -> stranger.member().remotePorts().contains(port));
        assertNotServed(stranger.publicHost(), port); // it cannot trust node one: nothing half-served (3.3)

        // a rendezvous peer carried to a node whose device port speaks TLS (cluster 8.3)
        WsPeer waiting = WsPeer.open(peers, URI.create("wss://localhost:" + one.gateway().deviceAddress().getPort()
                + "/relay?id=" + RELAY_ID), nodes, relayToken("alice"));
        try (RedisClient client = RedisClient.create(redis.uri().toString());
             StatefulRedisConnection<String, String> state = client.connect()) {
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> "one".equals(state.sync().get("mproxy:relay:" + RELAY_ID)));
        }
        WsPeer joining = WsPeer.open(peers, URI.create("wss://localhost:" + two.gateway().deviceAddress().getPort()
                + "/relay?id=" + RELAY_ID), nodes, null);
        waiting.expectGreeting();
        joining.expectGreeting();
        waiting.sendText("over two TLS hops");
        assertEquals("over two TLS hops", joining.next().text());
    }

    private static URI relayUri(Node node, String id) {
        return URI.create("ws://127.0.0.1:" + node.gateway().deviceAddress().getPort() + "/relay?id=" + id);
    }

    private String relayToken(String user) {
        return signer.sign(new DeviceToken(user, List.of(), List.of(), null));
    }

    /** A WebSocket upgrade to {@code path} sent by hand: the response head (and body, when refused). */
    private static String upgrade(InetSocketAddress to, String path, String header) throws IOException {
        try (Socket s = new Socket(to.getAddress(), to.getPort())) {
            s.setSoTimeout(10_000);
            String request = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + "Sec-WebSocket-Version: 13\r\nX-Mproxy-Node: test\r\n"
                    + (header.isEmpty() ? "" : header + "\r\n") + "\r\n";
            s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            StringBuilder response = new StringBuilder();
            byte[] buf = new byte[4096];
            int n;
            while ((n = s.getInputStream().read(buf)) > 0) {
                response.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                if (response.toString().startsWith("HTTP/1.1 101") && response.indexOf("\r\n\r\n") > 0) {
                    break; // a node tunnel now
                }
            }
            return response.toString();
        }
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    private Node node(String id, String publicHost, URI redisUri) throws Exception {
        return node(id, publicHost, redisUri, null, null);
    }

    /** A node whose device port speaks TLS with {@code certificate} when it is set, trusting {@code nodes}. */
    private Node node(String id, String publicHost, URI redisUri, GatewayCertificate certificate, ClientTls nodes)
            throws Exception {
        int devicePort = Loopback.freePort(); // advertised before it is bound
        URI advertise = URI.create((certificate == null ? "ws://127.0.0.1:" : "wss://localhost:") + devicePort);
        RedisCluster member = new RedisCluster(new ClusterConfig(redisUri, null, id, advertise, clusterSecret, nodes,
                false));
        GatewayServer gateway = new GatewayServer(GatewayConfig.newBuilder()
                .listen(new InetSocketAddress("127.0.0.1", devicePort))
                .tls(certificate == null ? null : TlsContexts.server(certificate))
                .verifier(new TokenVerifier(secret, Clock.systemUTC())).publicBindHost(publicHost)
                .tlsPort(OptionalInt.of(0)).httpPort(OptionalInt.of(0)).cluster(member).build()).start();
        closeables.add(gateway);
        return new Node(gateway, member, publicHost);
    }

    private BlockingQueue<Grant> connect(Node node, String device, int port) throws Exception {
        BlockingQueue<Grant> grants = connect(node, device, List.of(port), List.of(),
                Mappings.builder().tcp(port, new LocalService(echo.address(), ProxyProtocol.NONE)));
        return grants;
    }

    private BlockingQueue<Grant> connect(Node node, String device, List<String> domains, Mappings.Builder mappings)
            throws Exception {
        return connect(node, device, List.of(), domains, mappings);
    }

    private BlockingQueue<Grant> connect(Node node, String device, List<Integer> ports, List<String> domains,
                                         Mappings.Builder mappings) throws Exception {
        return connect(node, null, device, ports, domains, mappings);
    }

    /** A device on {@code node}, over wss trusting {@code tls} when it is set. */
    private BlockingQueue<Grant> connect(Node node, ClientTls tls, String device, List<Integer> ports,
                                         List<String> domains, Mappings.Builder mappings) throws Exception {
        String token = signer.sign(new DeviceToken(device, ports, domains, null));
        BlockingQueue<Grant> grants = new LinkedBlockingQueue<>();
        Connector connector = new Connector(ConnectorConfig.newBuilder()
                .gateway(URI.create((tls == null ? "ws://127.0.0.1:" : "wss://localhost:")
                        + node.gateway().deviceAddress().getPort() + "/")).tls(tls)
                .token(token).mappings(mappings.build()).maxBackoff(Duration.ofSeconds(1)).build(),
                grants::add).start();
        closeables.add(connector);
        Grant grant = grants.poll(20, TimeUnit.SECONDS);
        assertNotNull(grant, "no grant from the gateway");
        assertEquals(ports, List.copyOf(grant.ports()));
        return grants;
    }

    /** A real ClientHello asking for {@code name}, as a TLS client's first bytes. */
    private static byte[] clientHello(String name) throws Exception {
        SSLEngine engine = SSLContext.getDefault().createSSLEngine(name, 443);
        engine.setUseClientMode(true);
        SSLParameters parameters = engine.getSSLParameters();
        parameters.setServerNames(List.of(new SNIHostName(name)));
        engine.setSSLParameters(parameters);
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(ByteBuffer.allocate(0), out);
        out.flip();
        byte[] hello = new byte[out.remaining()];
        out.get(hello);
        return hello;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    private static void assertEchoes(InetSocketAddress to, byte[] payload) throws Exception {
        assertEchoes(to.getHostString(), to.getPort(), payload);
    }

    private void awaitServed(Node node, int port) {
        await("port " + port + " served at " + node.publicHost()).atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                .until(() -> {
                    assertEchoes(node.publicHost(), port, new byte[] {42});
                    return true;
                });
    }

    private static void assertEchoes(String host, int port, byte[] payload) throws Exception {
        try (Socket client = new Socket(InetAddress.getByName(host), port)) {
            client.setSoTimeout(60_000);
            ExecutorService reader = Executors.newSingleThreadExecutor();
            try {
                Future<byte[]> echoed = reader.submit(() -> client.getInputStream().readAllBytes());
                client.getOutputStream().write(payload);
                client.shutdownOutput();
                assertArrayEquals(sha256(payload), sha256(echoed.get(60, TimeUnit.SECONDS)));
            } finally {
                reader.shutdownNow();
            }
        }
    }

    /** Refused, or closed without a byte: nothing is half-served (cluster 3.3). */
    private static void assertNotServed(String host, int port) throws Exception {
        try (Socket client = new Socket(InetAddress.getByName(host), port)) {
            client.setSoTimeout(10_000);
            client.getOutputStream().write(new byte[] {1});
            assertEquals(-1, client.getInputStream().read());
        } catch (IOException refusedOrReset) {
            // refused (no node listens) or reset: not served either way
        }
    }

    private static byte[] sha256(byte[] bytes) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(bytes);
    }
}
