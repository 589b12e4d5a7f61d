package dev.mproxy.rendezvous;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mproxy.auth.DeviceToken;
import dev.mproxy.auth.GatewaySecret;
import dev.mproxy.auth.TokenSigner;
import dev.mproxy.auth.TokenVerifier;
import dev.mproxy.gateway.GatewayConfig;
import dev.mproxy.gateway.GatewayServer;
import dev.mproxy.gateway.PortRange;
import dev.mproxy.record.Direction;
import dev.mproxy.record.RecordingFormat;
import dev.mproxy.record.RecordingReader;
import dev.mproxy.relay.Recorder;
import dev.mproxy.testing.RecordingContents;
import dev.mproxy.testing.TestSecrets;
import dev.mproxy.tls.ClientTls;
import dev.mproxy.tls.GatewayCertificate;
import dev.mproxy.tls.SelfSignedCertificateGenerator;
import dev.mproxy.tls.TlsContexts;
import dev.mproxy.transport.Transport;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A rendezvous pair recorded as MeshCentral records one (rendezvous 5), read back block by block. */
@Timeout(30)
class RendezvousRecordingTest {

    private static final String ID = "cmVjb3JkZWQtcGFpci0x";

    @TempDir
    Path temp;

    private final GatewaySecret secret = TestSecrets.random();
    private final GatewayCertificate certificate = SelfSignedCertificateGenerator.generate(List.of("localhost"));
    private final EventLoopGroup clients = Transport.newGroup(2);
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private GatewayServer gateway;

    @AfterEach
    void stop() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        clients.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void recordedPairIsGreetedWithCrAndEveryMessageIsABlockFlaggedForItsSideAndKind() throws Exception {
        // the agent waits; the browser (browser=1, MeshCentral's flag 2 side) joins second
        WsPeer agent = peer("&p=2");
        WsPeer browser = peer("&browser=1&p=2");
        expectRecordedGreeting(agent, browser);
        // each message waits for its arrival, so the file's order is known
        agent.send(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1, 2, 3})));
        assertArrayEquals(new byte[] {1, 2, 3}, browser.next().payload());
        browser.sendText("hello");
        assertEquals("hello", agent.next().text());
        browser.send(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {4, 5})));
        assertArrayEquals(new byte[] {4, 5}, agent.next().payload());
        agent.sendText("bye");
        assertEquals("bye", browser.next().text());
        agent.sendClose(1000, "");
        browser.expectClose(1000, "");
        browser.sendClose(1000, "");
        agent.expectClose(1000, "");

        List<Block> blocks = finishedRecording();

        // rendezvous 5.2: MeshCentral's metadata first; ipaddr1 is the browser's side
        Block first = blocks.get(0);
        assertEquals(1, first.type);
        JsonNode metadata = new ObjectMapper().readTree(first.payload);
        assertEquals("MeshCentralRelaySession", metadata.get("magic").textValue());
        assertEquals(1, metadata.get("ver").intValue());
        assertEquals("alice", metadata.get("userid").textValue());
        assertEquals(ID, metadata.get("sessionid").textValue());
        assertEquals("127.0.0.1", metadata.get("ipaddr1").textValue());
        assertEquals(((InetSocketAddress) browser.channel().localAddress()).getPort(), metadata.get("port1").intValue());
        assertEquals("127.0.0.1", metadata.get("ipaddr2").textValue());
        assertEquals(((InetSocketAddress) agent.channel().localAddress()).getPort(), metadata.get("port2").intValue());
        assertEquals(2, metadata.get("protocol").intValue());
        assertFalse(metadata.get("time").textValue().isEmpty());
        assertFalse(metadata.has("userFlag"), "the browser alone is flagged 2: our client");

        // rendezvous 5.3: one block per message; flag 1 = binary, flag 2 = from the browser=1 side
        List<String> data = blocks.stream().filter(b -> b.type == 2)
                .map(b -> b.flags + ":" + Arrays.toString(b.payload)).toList();
        assertEquals(List.of("1:" + Arrays.toString(new byte[] {1, 2, 3}),
                "2:" + Arrays.toString("hello".getBytes(StandardCharsets.UTF_8)),
                "3:" + Arrays.toString(new byte[] {4, 5}),
                "0:" + Arrays.toString("bye".getBytes(StandardCharsets.UTF_8))), data);
        Block last = blocks.get(blocks.size() - 1);
        assertEquals(3, last.type);
        assertEquals("MeshCentralMCREC", new String(last.payload, StandardCharsets.US_ASCII));
    }

    @ParameterizedTest(name = "browser=1 on {0}")
    @CsvSource({"neither, '', '', , none", "both, &browser=1, &browser=1, 2, both"})
    void userFlagGoesToEachBrowserPeerAsMeshCentralSetsItAndFlag4KeepsTheDirectionsApart(String which,
            String waitingParameters, String joiningParameters, Integer userFlag, String userFlagField)
            throws Exception {
        // rendezvous 5.3, recording 3.3: MeshCentral flags neither or both then; the waiting peer is our client
        WsPeer waiting = peer("&p=1" + waitingParameters);
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> gateway.rendezvous().metrics().waitingPeers() == 1);
        WsPeer joining = peer("&p=1" + joiningParameters);
        expectRecordedGreeting(waiting, joining);
        waiting.send(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1})));
        assertArrayEquals(new byte[] {1}, joining.next().payload());
        joining.send(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {2})));
        assertArrayEquals(new byte[] {2}, waiting.next().payload());
        joining.sendText("t");
        assertEquals("t", waiting.next().text());
        waiting.sendClose(1000, "");
        joining.expectClose(1000, "");
        joining.sendClose(1000, "");
        waiting.expectClose(1000, "");

        List<Block> blocks = finishedRecording();
        assertEquals(userFlagField, new ObjectMapper().readTree(blocks.get(0).payload).get("userFlag").textValue());
        int user = userFlag == null ? 0 : userFlag;
        assertEquals(List.of((1 | user | 4) + ":[1]", (1 | user) + ":[2]", user + ":[116]"), blocks.stream()
                .filter(b -> b.type == 2).map(b -> b.flags + ":" + Arrays.toString(b.payload)).toList(), which);
        RecordingContents read = RecordingContents.read(onlyFile(recordings()));
        assertArrayEquals(new byte[] {1}, read.fromClient, "from the waiting peer");
        assertArrayEquals(new byte[] {2, 't'}, read.fromServer, "from the joining one");
        assertEquals(userFlag == null ? Set.of() : Set.of(Direction.FROM_CLIENT, Direction.FROM_SERVER),
                read.session.userSides());
    }

    @Test
    void peerThatVanishesStillLeavesAFinishedRecording() throws Exception {
        // rendezvous 5.3, recording 6.6: the end block is written even when a side vanishes
        WsPeer agent = peer("");
        WsPeer browser = peer("&browser=1");
        expectRecordedGreeting(agent, browser);
        browser.send(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {7})));
        assertArrayEquals(new byte[] {7}, agent.next().payload());
        agent.closeAbruptly();
        browser.expectClose(1001, Rendezvous.PEER_WENT_AWAY);

        List<Block> blocks = finishedRecording();
        assertEquals(List.of("3:[7]"), blocks.stream().filter(b -> b.type == 2)
                .map(b -> b.flags + ":" + Arrays.toString(b.payload)).toList());
        assertEquals(3, blocks.get(blocks.size() - 1).type);
    }

    // ---- helpers ----------------------------------------------------------------------------------------

    /** A peer of {@link #ID} with alice's token, {@code parameters} added to the query. */
    private WsPeer peer(String parameters) throws Exception {
        if (gateway == null) {
            gateway = new GatewayServer(GatewayConfig.newBuilder()
                    .listen(new InetSocketAddress("127.0.0.1", 0)).publicBindHost("127.0.0.1")
                    .tls(TlsContexts.server(certificate)).tlsPort(OptionalInt.empty()).httpPort(OptionalInt.empty())
                    .verifier(new TokenVerifier(secret, Clock.systemUTC()))
                    .recorder(Recorder.inDirectory(recordings(), RecordingFormat.MCREC)).build()).start();
            closeables.add(gateway);
        }
        String token = new TokenSigner(secret, Clock.systemUTC()).sign(new DeviceToken("alice", List.of(),
                List.of(), null));
        ClientTls tls = TlsContexts.clientPinned(certificate.fingerprint());
        return WsPeer.open(clients, URI.create("wss://localhost:" + gateway.deviceAddress().getPort()
                + "/relay?id=" + ID + parameters), tls, token);
    }

    /** Rendezvous 5.1: "cr" tells MeshCentral's clients the session is recorded. */
    private static void expectRecordedGreeting(WsPeer... peers) throws InterruptedException {
        for (WsPeer peer : peers) {
            WsPeer.Frame greeting = peer.next();
            assertEquals(WsPeer.TEXT, greeting.kind());
            assertEquals("cr", greeting.text());
        }
    }

    private Path recordings() {
        return temp.resolve("recordings");
    }

    /** The one recording's blocks, once it has its end block. */
    private List<Block> finishedRecording() throws IOException {
        Path file = onlyFile(recordings());
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> finished(file));
        return blocks(Files.readAllBytes(file));
    }

    /** MeshCentral's block: type u16, flags u16, size u32, time u64, all big-endian, then size bytes. */
    private record Block(int type, int flags, long millis, byte[] payload) {
    }

    private static List<Block> blocks(byte[] file) {
        ByteBuffer in = ByteBuffer.wrap(file);
        List<Block> blocks = new ArrayList<>();
        while (in.remaining() >= 16) {
            int type = Short.toUnsignedInt(in.getShort());
            int flags = Short.toUnsignedInt(in.getShort());
            byte[] payload = new byte[in.getInt()];
            long millis = in.getLong();
            in.get(payload);
            blocks.add(new Block(type, flags, millis, payload));
        }
        assertEquals(0, in.remaining(), "bytes after the last whole block");
        return blocks;
    }

    private static Path onlyFile(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> all = files.toList();
            assertEquals(1, all.size(), all.toString());
            return all.get(0);
        }
    }

    private static boolean finished(Path file) throws IOException {
        try (RecordingReader reader = RecordingReader.open(file)) {
            while (reader.next() != null) {
                // read to the end: a file without its end block reads as truncated
            }
            return !reader.truncated();
        }
    }
}
