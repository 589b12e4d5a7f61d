package dev.mproxy.rendezvous;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mproxy.auth.DeviceToken;
import dev.mproxy.auth.GatewaySecret;
import dev.mproxy.auth.TokenSigner;
import dev.mproxy.auth.TokenVerifier;
import dev.mproxy.gateway.GatewayConfig;
import dev.mproxy.gateway.GatewayServer;
import dev.mproxy.record.RecordedEvent;
import dev.mproxy.record.RecordingFormat;
import dev.mproxy.recordproxy.RecordProxy;
import dev.mproxy.recordproxy.RecordProxyConfig;
import dev.mproxy.relay.Recorder;
import dev.mproxy.testing.RecordingContents;
import dev.mproxy.testing.TestSecrets;
import dev.mproxy.transport.Transport;
import dev.mproxy.websocket.FrameSplitter;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * MeshCentral 1.1.55's own code against mproxy, from its npm package (see {@link MeshCentralInterop}): its web UI's
 * browser relay client pairing through the gateway's rendezvous relay in headless Chromium, and its session
 * player opening our {@code .mcrec} files (protocol-spec/rendezvous.md §1, §5; recording.md §3).
 */
@Tag("interop")
@Timeout(600)
class MeshCentralInteropTest {

    /** How long the agent waits after its last output before it closes: event blocks follow the last data. */
    private static final int AGENT_CLOSE_DELAY_MS = 300;
    private static final long SCRIPT_SECONDS = 120;

    @TempDir
    Path temp;

    private final GatewaySecret secret = TestSecrets.random();
    private final EventLoopGroup clients = Transport.newGroup(1);
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private GatewayServer gateway;

    @BeforeEach
    void install() throws Exception {
        MeshCentralInterop.install();
        gateway = new GatewayServer(GatewayConfig.newBuilder()
                .listen(new InetSocketAddress("127.0.0.1", 0)).publicBindHost("127.0.0.1")
                .tlsPort(OptionalInt.empty()).httpPort(OptionalInt.empty())
                .verifier(new TokenVerifier(secret, Clock.systemUTC()))
                .recorder(Recorder.inDirectory(temp.resolve("recordings"), RecordingFormat.MCREC)).build())
                .start();
        closeables.add(gateway);
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        clients.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void meshCentralsWebUiTerminalPairsThroughTheGatewayAndItsPlayerReplaysOurRecordingAsItsOwn() throws Exception {
        // rendezvous 1.1, 1.2, 1.4: its relay script's own URL (meshrelay.ashx, a short id, browser=1, p=1, our
        // token as its auth=), the agent with a token too; rendezvous 2.6, 3.1, 4.1
        Path out = Files.createDirectories(temp.resolve("out"));
        JsonNode session = MeshCentralInterop.script("relay-session.js", Map.of(
                "GATEWAY", "http://127.0.0.1:" + gateway.deviceAddress().getPort(),
                "BROWSER_TOKEN", token("alice"), "AGENT_TOKEN", token("alice"), "OUT_DIR", out.toString(),
                "AGENT_CLOSE_DELAY_MS", Integer.toString(AGENT_CLOSE_DELAY_MS)), List.of(), SCRIPT_SECONDS);
        String id = session.get("tunnelId").textValue();
        // Math.random().toString(36).substring(2): mostly 10-11 characters, 12 about one run in ten, never 16
        assertTrue(id.matches("[0-9a-z]{1,13}") && !RendezvousId.isUnguessable(id), id);
        assertEquals("ws://127.0.0.1:" + gateway.deviceAddress().getPort() + "/meshrelay.ashx?browser=1&p=1"
                + "&nodeid=node//mproxy-interop&id=" + id + "&auth=TOKEN", session.get("browserUrl").textValue());
        assertTrue(session.get("agentError").isNull(), session.toString());
        assertEquals("cr", session.get("agentGreeting").textValue(), "rendezvous 5.1: recorded");
        assertTrue(session.get("browserSawRecording").booleanValue(), "the browser saw 'cr' too");
        assertEquals("[1,2,3,0]", session.get("browserStates").toString(), "connecting, connected, paired, stopped");
        // what the browser's relay script sent, in order: its RTT probe (sent before the pair started and held in
        // TCP meanwhile, rendezvous 2.2), the terminal options, the protocol, then the typed keys
        List<String> atAgent = new ArrayList<>();
        for (JsonNode m : session.get("agentReceived")) {
            atAgent.add((m.get("text").booleanValue() ? "text " : "binary ") + decode(m.get("data")));
        }
        assertEquals(4, atAgent.size(), atAgent.toString());
        assertTrue(atAgent.get(0).startsWith("text {\"ctrlChannel\":102938,\"type\":\"rtt\""), atAgent.get(0));
        assertEquals("text {\"protocol\":1,\"cols\":80,\"rows\":24,\"type\":\"options\"}", atAgent.get(1));
        assertEquals(List.of("text 1", "binary echo hello\r"), atAgent.subList(2, 4));
        String agentOutput = concat(session.get("agentSent"));
        assertEquals("MeshAgent interop terminal\r\n$ echo hello\r\r\nhello\r\n$ ", agentOutput);
        assertEquals(agentOutput, concat(session.get("browserReceived")), "the terminal module got every byte");
        assertEquals(1000, session.get("agentClose").get("code").intValue());
        assertEquals(1, gateway.rendezvous().metrics().pairsStarted());
        assertEquals(0, gateway.rendezvous().metrics().refusedPeers());

        Path ours = finishedRecording();
        Path reference = out.resolve("reference.mcrec"); // the same session written by MeshCentral's recordingEntry
        JsonNode player = MeshCentralInterop.script("player.js", Map.of("PLAY", "1"),
                List.of(ours.toString(), reference.toString()), SCRIPT_SECONDS).get("results");
        JsonNode shown = player.get(0);
        assertTrue(shown.get("accepted").booleanValue(), shown.toString());
        String panel = shown.get("panel").textValue().replace('\u00a0', ' ');
        RecordingContents read = RecordingContents.read(ours);
        long seconds = read.events.stream().mapToLong(RecordedEvent::micros).max().orElseThrow() / 1_000_000;
        for (String line : List.of("Time: " + read.session.start(), "Duration: " + seconds + " second"
                + (seconds > 1 ? "s" : ""), "UserID: alice", "SessionID: " + id, "Addresses: 127.0.0.1 to 127.0.0.1",
                "Protocol: MeshCentral Terminal")) {
            assertTrue(panel.lines().anyMatch(line::equals), "'" + line + "' in " + panel);
        }
        // the terminal replays what the agent sent, as it does from MeshCentral's own file of the same session
        assertEquals(agentOutput, decode(shown.get("terminal")));
        assertEquals(agentOutput, decode(player.get(1).get("terminal")), "MeshCentral's own recording");
        assertTrue(shown.get("screen").textValue().endsWith("$ echo hello\nhello\n$"), shown.get("screen").textValue());
        assertEquals(player.get(1).get("screen").textValue(), shown.get("screen").textValue());
        // recording 3.4: the player waits before each block from its clock, the last data block's time; event
        // blocks add nothing, so it waits in all exactly the session's length, to the end block
        long waited = 0;
        for (JsonNode block : shown.get("blocks")) {
            int type = block.get("type").intValue();
            if (type < 0) {
                continue; // past the end: the player stops
            }
            long wait = block.get("time").longValue() - block.get("clock").longValue();
            if (type == 4) {
                assertEquals(0, wait, "an event block waits for nothing: " + block);
            }
            waited += wait;
        }
        long length = shown.get("endTime").longValue() - shown.get("startTime").longValue();
        assertEquals(length, waited, shown.get("blocks").toString());
        assertTrue(length >= AGENT_CLOSE_DELAY_MS, "the session lasted past the agent's pause: " + length);
    }

    @Test
    void aSixteenMebibyteMessageReachesMeshCentralsBrowserClientWithAtMostOneMebibyteOfItHeldAtTheGateway()
            throws Exception {
        // rendezvous 1.5, 3.1: the agent's ws sends it as one frame; the gateway cuts it into fragments as it
        // arrives, and the browser's WebSocket hands MeshCentral's relay script one message again
        int size = 16 * 1024 * 1024;
        JsonNode session = MeshCentralInterop.script("relay-session.js", Map.of(
                "GATEWAY", "http://127.0.0.1:" + gateway.deviceAddress().getPort(),
                "BROWSER_TOKEN", token("alice"), "AGENT_TOKEN", token("alice"),
                "OUT_DIR", Files.createDirectories(temp.resolve("out")).toString(),
                "LARGE_MESSAGE", Integer.toString(size)), List.of(), SCRIPT_SECONDS);
        JsonNode sent = session.get("agentSent").get(3);
        assertEquals(size, sent.get("length").intValue(), session.get("agentSent").toString());
        JsonNode received = session.get("browserReceived").get(3);
        assertEquals(size, received.get("length").intValue(), session.get("browserReceived").toString());
        assertEquals(sent.get("sha256").textValue(), received.get("sha256").textValue());
        assertEquals(4, session.get("browserReceived").size(), "one message, as sent");
        // the gateway's own accounting: the longest frame it held whole for a peer was one 64 KiB fragment
        assertEquals(FrameSplitter.PIECE, gateway.rendezvous().metrics().longestFrameDecoded());
        assertEquals(0, gateway.rendezvous().metrics().errors());
    }

    @Test
    void withNoBrowserPeerMeshCentralsPlayerReplaysBothSidesAsItWouldFromItsOwnFile() throws Exception {
        // rendezvous 5.3: MeshCentral flags neither side's messages then, and its player replays every unflagged
        // binary block as terminal output
        String id = "k3j9x0q2mz";
        String token = token("alice");
        URI uri = URI.create("ws://127.0.0.1:" + gateway.deviceAddress().getPort() + "/meshrelay.ashx?p=1&id=" + id);
        WsPeer waiting = WsPeer.open(clients, uri, null, token);
        Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> gateway.rendezvous().metrics().waitingPeers() == 1);
        WsPeer joining = WsPeer.open(clients, uri, null, token);
        waiting.next();
        joining.next();
        waiting.send(new BinaryWebSocketFrame(Unpooled.copiedBuffer("from the waiting peer; ", StandardCharsets.UTF_8)));
        assertEquals("from the waiting peer; ", new String(joining.next().payload(), StandardCharsets.UTF_8));
        joining.send(new BinaryWebSocketFrame(Unpooled.copiedBuffer("from the joining one", StandardCharsets.UTF_8)));
        assertEquals("from the joining one", new String(waiting.next().payload(), StandardCharsets.UTF_8));
        waiting.sendClose(1000, "");
        joining.expectClose(1000, "");
        joining.sendClose(1000, "");
        waiting.expectClose(1000, "");

        JsonNode shown = MeshCentralInterop.script("player.js", Map.of("PLAY", "1"),
                List.of(finishedRecording().toString()), SCRIPT_SECONDS).get("results").get(0);
        assertEquals("from the waiting peer; from the joining one", decode(shown.get("terminal")));
    }

    @Test
    void theRecordProxysMcrecOfAShortConnectionShowsItsOwnDurationInMeshCentralsPlayer() throws Exception {
        // recording 7.2: the file starts when its connection was accepted, not when the proxy started
        try (ServerSocket echo = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> {
                try (Socket s = echo.accept()) {
                    s.getOutputStream().write(s.getInputStream().readNBytes(4));
                } catch (IOException e) {
                    // the client sees it
                }
            });
            server.start();
            RecordProxy proxy = new RecordProxy(RecordProxyConfig.newBuilder()
                    .listen(new InetSocketAddress("127.0.0.1", 0))
                    .server(new InetSocketAddress("127.0.0.1", echo.getLocalPort()))
                    .logRoot(temp.resolve("conn").toString()).format(RecordingFormat.MCREC).build()).start();
            closeables.add(proxy);
            Instant beforeConnect = Instant.now();
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), proxy.address().getPort())) {
                client.setSoTimeout(20_000);
                client.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
                assertArrayEquals("ping".getBytes(StandardCharsets.US_ASCII), client.getInputStream().readNBytes(4));
            }
            server.join(20_000);
            // finished once both sides' ends are recorded; closing the proxy earlier would end it with a failure
            Awaitility.await().atMost(20, TimeUnit.SECONDS).ignoreExceptions()
                    .until(() -> !RecordingContents.read(temp.resolve("conn_1.mcrec")).truncated);
            proxy.close();
        }
        Path file = temp.resolve("conn_1.mcrec");
        RecordingContents read = RecordingContents.read(file);
        assertFalse(read.truncated);
        long millis = read.events.stream().mapToLong(RecordedEvent::micros).max().orElseThrow() / 1000;
        JsonNode shown = MeshCentralInterop.script("player.js", Map.of(), List.of(file.toString()), SCRIPT_SECONDS)
                .get("results").get(0);
        String panel = shown.get("panel").textValue().replace('\u00a0', ' ');
        long seconds = millis / 1000;
        assertTrue(panel.lines().anyMatch(("Duration: " + seconds + " second" + (seconds > 1 ? "s" : ""))::equals),
                millis + " ms: " + panel);
        assertTrue(panel.lines().anyMatch(("Time: " + read.session.start())::equals), panel);
        assertFalse(panel.contains("Protocol"), panel);
    }

    // ---- helpers ----------------------------------------------------------------------------------------

    private String token(String user) {
        return new TokenSigner(secret, Clock.systemUTC()).sign(new DeviceToken(user, List.of(), List.of(), null));
    }

    /** The gateway's one recording, once finished (its end block written). */
    private Path finishedRecording() throws IOException {
        Path dir = temp.resolve("recordings");
        Path[] file = new Path[1];
        Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> {
            try (Stream<Path> files = Files.list(dir)) {
                List<Path> all = files.toList();
                if (all.size() != 1) {
                    return false;
                }
                file[0] = all.get(0);
                return !RecordingContents.read(file[0]).truncated;
            }
        });
        return file[0];
    }

    private static String decode(JsonNode base64) {
        return new String(Base64.getDecoder().decode(base64.textValue()), StandardCharsets.ISO_8859_1);
    }

    /** The messages' bytes put together, each {"data": base64}. */
    private static String concat(JsonNode messages) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (JsonNode m : messages) {
            all.writeBytes(Base64.getDecoder().decode(m.get("data").textValue()));
        }
        return all.toString(StandardCharsets.ISO_8859_1);
    }
}
