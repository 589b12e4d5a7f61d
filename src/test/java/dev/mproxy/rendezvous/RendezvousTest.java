package dev.mproxy.rendezvous;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import dev.mproxy.auth.DeviceToken;
import dev.mproxy.auth.GatewaySecret;
import dev.mproxy.auth.TokenSigner;
import dev.mproxy.auth.TokenVerifier;
import dev.mproxy.gateway.GatewayConfig;
import dev.mproxy.gateway.GatewayServer;
import dev.mproxy.guard.RemoteText;
import dev.mproxy.logging.LogFormat;
import dev.mproxy.logging.Logging;
import dev.mproxy.testing.TestSecrets;
import dev.mproxy.tls.ClientTls;
import dev.mproxy.tls.GatewayCertificate;
import dev.mproxy.tls.SelfSignedCertificateGenerator;
import dev.mproxy.tls.TlsContexts;
import dev.mproxy.transport.Transport;
import dev.mproxy.websocket.FrameSplitter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The gateway's rendezvous relay over real TLS and real WebSocket handshakes on loopback, with peers that are
 * Netty's own WebSocket client (protocol-spec/rendezvous.md §1-§4).
 */
@Timeout(60)
class RendezvousTest {

    private static final String ID = "AAAAbbbbCCCCdddd-_01";

    private final GatewaySecret secret = TestSecrets.random();
    private final TokenSigner signer = new TokenSigner(secret, Clock.systemUTC());
    private final GatewayCertificate certificate = SelfSignedCertificateGenerator.generate(List.of("localhost"));
    private final EventLoopGroup clients = Transport.newGroup(2);
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private GatewayServer gateway;
    private ClientTls tls;

    @BeforeEach
    void start() throws Exception {
        gateway = gateway(Duration.ofSeconds(15), true);
        tls = TlsContexts.clientPinned(certificate.fingerprint());
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        clients.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void pairedPeersAreGreetedAndTheirFramesCrossAsTheyCameBothWays() throws Exception {
        // rendezvous 2.1 (a peer without a token joins one that has), 2.6, 3.1
        Pair pair = paired(ID, token("alice"), null);
        WsPeer first = pair.first();
        WsPeer second = pair.second();

        first.sendText("hello");
        first.send(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {0, 1, 2, (byte) 0xff})));
        first.send(new TextWebSocketFrame(false, 0, "frag"));
        first.send(new ContinuationWebSocketFrame(false, 0, "men"));
        first.send(new ContinuationWebSocketFrame(true, 0, "ted"));
        assertFrame(second.next(), WsPeer.TEXT, true, "hello");
        WsPeer.Frame binary = second.next();
        assertEquals(WsPeer.BINARY, binary.kind());
        assertArrayEquals(new byte[] {0, 1, 2, (byte) 0xff}, binary.payload());
        assertFrame(second.next(), WsPeer.TEXT, false, "frag");
        assertFrame(second.next(), WsPeer.CONTINUATION, false, "men");
        assertFrame(second.next(), WsPeer.CONTINUATION, true, "ted");

        second.send(new BinaryWebSocketFrame(false, 0, Unpooled.wrappedBuffer(new byte[] {9})));
        second.send(new ContinuationWebSocketFrame(true, 0, Unpooled.wrappedBuffer(new byte[] {8})));
        second.sendText("back");
        assertEquals(WsPeer.BINARY, first.next().kind());
        assertEquals(WsPeer.CONTINUATION, first.next().kind());
        assertFrame(first.next(), WsPeer.TEXT, true, "back");
        RendezvousMetrics metrics = gateway.rendezvous().metrics();
        assertEquals(1, metrics.activePairs());
        assertEquals(0, metrics.waitingPeers());
        assertEquals(1, metrics.pairsStarted());
    }

    @Test
    void largeMessagesCrossIntactBothWaysAtOnce() throws Exception {
        // rendezvous 1.5, 3.1: whole 1 MiB frames, and 32 MiB each way in 64 KiB to 1 MiB frames
        Pair pair = paired(ID, token("alice"), token("alice"));
        WsPeer first = pair.first();
        WsPeer second = pair.second();
        long total = 32L * 1024 * 1024;
        CompletableFuture<byte[]> atSecond = second.digestBinary(total);
        CompletableFuture<byte[]> atFirst = first.digestBinary(total);
        WsPeer.Pump fromFirst = first.pump(total, Rendezvous.MAX_FRAME_PAYLOAD, new Random(1));
        WsPeer.Pump fromSecond = second.pump(total, 64 * 1024, new Random(2));
        assertArrayEquals(fromFirst.done.get(40, TimeUnit.SECONDS), atSecond.get(40, TimeUnit.SECONDS));
        assertArrayEquals(fromSecond.done.get(40, TimeUnit.SECONDS), atFirst.get(40, TimeUnit.SECONDS));
    }

    @Test
    void pingIsAnsweredByTheGatewayAndNotRelayed() throws Exception {
        // rendezvous 3.3
        Pair pair = paired(ID, token("alice"), null);
        pair.first().send(new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {42})));
        WsPeer.Frame pong = pair.first().next();
        assertEquals(WsPeer.PONG, pong.kind());
        assertArrayEquals(new byte[] {42}, pong.payload());
        pair.first().sendText("after the ping");
        assertFrame(pair.second().next(), WsPeer.TEXT, true, "after the ping");
    }

    @Test
    void aSingleFrameOfSixteenMebibytesCrossesInFragmentsWithAtMostOneMebibyteOfItHeld() throws Exception {
        // rendezvous 1.5, 3.1: frames up to 1 MiB cross whole; a longer one as a fragmented message of 64 KiB frames
        Pair pair = paired(ID, token("alice"), token("alice"));
        byte[] message = new byte[16 * 1024 * 1024];
        new Random(5).nextBytes(message);
        pair.first().send(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(message)));
        ByteArrayOutputStream received = new ByteArrayOutputStream(message.length);
        List<String> kinds = new ArrayList<>();
        WsPeer.Frame frame;
        do {
            frame = pair.second().next();
            kinds.add(frame.kind());
            assertEquals(FrameSplitter.PIECE, frame.payload().length, "fragment " + kinds.size());
            received.writeBytes(frame.payload());
        } while (!frame.fin());
        assertArrayEquals(message, received.toByteArray());
        assertEquals(WsPeer.BINARY, kinds.get(0));
        assertEquals(message.length / FrameSplitter.PIECE, kinds.size());
        assertTrue(kinds.subList(1, kinds.size()).stream().allMatch(WsPeer.CONTINUATION::equals), kinds.toString());
        // the gateway's own accounting: no frame of the message was held whole
        assertEquals(FrameSplitter.PIECE, gateway.rendezvous().metrics().longestFrameDecoded());

        // a 1 MiB frame still crosses whole, and a long text message cut inside a character is still text
        pair.second().send(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(message, 0, Rendezvous.MAX_FRAME_PAYLOAD)));
        WsPeer.Frame whole = pair.first().next();
        assertTrue(whole.fin());
        assertArrayEquals(Arrays.copyOf(message, Rendezvous.MAX_FRAME_PAYLOAD), whole.payload());
        String text = "\u20ac".repeat(700_000); // 3 bytes of UTF-8 each: 64 KiB fragments cut characters
        pair.second().sendText(text);
        ByteArrayOutputStream utf8 = new ByteArrayOutputStream();
        do {
            frame = pair.first().next();
            utf8.writeBytes(frame.payload());
        } while (!frame.fin());
        assertEquals(text, utf8.toString(StandardCharsets.UTF_8));
        assertEquals(Rendezvous.MAX_FRAME_PAYLOAD, gateway.rendezvous().metrics().longestFrameDecoded());
    }

    @Test
    void aMessageOverTheOperatorsCapClosesItsSenderWith1009AndTheOtherHearsItWentAway() throws Exception {
        // rendezvous 1.5, 4.3: --relay-max-message; the frames of a message add up
        GatewayServer capped = gateway(Duration.ofSeconds(15), true, false, 100_000);
        WsPeer first = peer(capped, ID, token("alice"));
        awaitWaiting(capped);
        WsPeer second = peer(capped, ID, null);
        first.expectGreeting();
        second.expectGreeting();
        first.send(new BinaryWebSocketFrame(false, 0, Unpooled.wrappedBuffer(new byte[60_000])));
        assertEquals(60_000, second.next().payload().length);
        // only the next frame's head, by hand: refused on its length, before any payload
        ByteBuf head = Unpooled.buffer().writeByte(0x00).writeByte(0x80 | 126) // continuation; masked, 16-bit length
                .writeShort(50_000).writeInt(0x01020304); // the length; the mask key
        first.channel().writeAndFlush(head);
        WsPeer.Frame close = first.next();
        assertEquals(1009, close.status(), close.toString());
        assertEquals("message of at least 110000 bytes exceeds the allowed maximum (100000)", close.reason());
        second.expectClose(1001, "the other relay peer went away");
    }

    @Test
    void textFrameThatIsNotUtf8ClosesItsSenderWith1007() throws Exception {
        // rendezvous 1.5
        Pair pair = paired(ID, token("alice"), null);
        pair.first().send(new TextWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {'a', (byte) 0xff})));
        WsPeer.Frame close = pair.first().next();
        assertEquals(1007, close.status(), close.toString());
        pair.second().expectClose(1001, "the other relay peer went away");
    }

    @Test
    void framesSentWhileWaitingArriveAfterTheGreetingInOrder() throws Exception {
        // rendezvous 2.2, 2.6: the waiting peer is not read, and nothing it sent is lost
        WsPeer first = peer(ID, token("alice"));
        awaitWaiting(gateway);
        for (int i = 0; i < 5; i++) {
            first.sendText("early " + i).sync();
        }
        WsPeer second = peer(ID, null);
        second.expectGreeting();
        for (int i = 0; i < 5; i++) {
            assertFrame(second.next(), WsPeer.TEXT, true, "early " + i);
        }
        first.expectGreeting();
    }

    @Test
    void waitingPeerIsClosedWith1013AfterTheHoldTimeoutAndItsIdIsFreeAgain() throws Exception {
        // rendezvous 2.3
        GatewayServer quick = gateway(Duration.ofMillis(300), true);
        WsPeer lonely = peer(quick, ID, token("alice"));
        lonely.expectClose(1013, "no peer joined within 300 ms");
        lonely.expectGone();
        RendezvousMetrics metrics = quick.rendezvous().metrics();
        assertEquals(1, metrics.holdTimeouts());
        assertEquals(0, metrics.waitingPeers());

        WsPeer first = peer(quick, ID, token("alice"));
        awaitWaiting(quick);
        peer(quick, ID, null).expectGreeting();
        first.expectGreeting();
    }

    @Test
    void thirdPeerIsRefusedWith1008AndThePairGoesOn() throws Exception {
        // rendezvous 2.5
        Pair pair = paired(ID, token("alice"), token("alice"));
        WsPeer first = pair.first();
        WsPeer second = pair.second();
        WsPeer third = peer(ID, token("alice"));
        third.expectClose(1008, "relay id is already paired");
        third.expectGone();
        first.sendText("still here");
        assertFrame(second.next(), WsPeer.TEXT, true, "still here");
        assertEquals(1, gateway.rendezvous().metrics().refusedPeers());
    }

    @Test
    void peerWithoutATokenThatFindsNobodyWaitingIsRefused() throws Exception {
        // rendezvous 2.1: two unauthenticated peers can never pair
        WsPeer anonymous = peer(ID, null);
        anonymous.expectClose(1008, "no authenticated peer is waiting for this relay id");
        anonymous.expectGone();
        WsPeer another = peer(ID, null);
        another.expectClose(1008, "no authenticated peer is waiting for this relay id");
        assertEquals(0, gateway.rendezvous().metrics().waitingPeers());
    }

    @Test
    void peerOfAnotherUserIsRefusedAndTheFirstGoesOnWaiting() throws Exception {
        // rendezvous 2.4
        WsPeer alice = peer(ID, token("alice"));
        awaitWaiting(gateway);
        WsPeer bob = peer(ID, token("bob"));
        bob.expectClose(1008, "relay id is held by another user");
        WsPeer aliceAgain = peer(ID, token("alice"));
        alice.expectGreeting();
        aliceAgain.expectGreeting();
    }

    @Test
    void closeFrameCrossesWithItsStatusAndTheOtherDirectionGoesOn() throws Exception {
        // rendezvous 4.1, 4.2: a close frame is a half-close; both connections close once both have closed
        Pair pair = paired(ID, token("alice"), null);
        WsPeer first = pair.first();
        WsPeer second = pair.second();
        first.sendText("last words");
        first.sendClose(4000, "done sending");
        assertFrame(second.next(), WsPeer.TEXT, true, "last words");
        second.expectClose(4000, "done sending");
        second.sendText("an answer after the close");
        assertFrame(first.next(), WsPeer.TEXT, true, "an answer after the close");
        second.sendClose(1000, "");
        first.expectClose(1000, "");
        first.expectGone();
        second.expectGone();
        RendezvousMetrics metrics = gateway.rendezvous().metrics();
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> metrics.activePairs() == 0);
        assertEquals(0, metrics.errors());
    }

    @Test
    void closeReasonCrossesUnchangedButIsQuotedAndEscapedInTheGatewaysLog() throws Exception {
        // rendezvous 4.1, 4.4: a reason with a line break in it cannot forge a log line of its own
        String id = "LogLineOfItsOwn-0001";
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Logging.configure(Level.INFO, LogFormat.TEXT, log);
        try {
            Pair pair = paired(id, token("alice"), null);
            String forged = "bye\nINFO: relay FORGED: paired 10.0.0.1 with 10.0.0.2";
            pair.first().sendClose(4000, forged);
            pair.second().expectClose(4000, forged);
            pair.second().sendClose(1000, "");
            Awaitility.await().atMost(WsPeer.TIMEOUT_SECONDS, TimeUnit.SECONDS).until(() -> text(log)
                    .contains("relay " + RemoteText.digest(id) + ": ended")); // limits 5.4
            String line = text(log).lines().filter(l -> l.contains("relay " + RemoteText.digest(id) + ": ended"))
                    .findFirst()
                    .orElseThrow();
            assertFalse(text(log).contains("\nINFO: relay FORGED"), text(log));
            assertTrue(line.contains("close 4000 \"bye\\nINFO: relay FORGED: paired 10.0.0.1 with 10.0.0.2\""),
                    line);
        } finally {
            Logging.configure(Level.INFO, LogFormat.TEXT);
        }
    }

    private static String text(ByteArrayOutputStream log) {
        synchronized (log) {
            return log.toString(java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    @Test
    void peerThatVanishesEndsThePairWith1001ForTheOther() throws Exception {
        // rendezvous 4.3, 4.5
        Pair pair = paired(ID, token("alice"), null);
        WsPeer first = pair.first();
        WsPeer second = pair.second();
        first.closeAbruptly();
        second.expectClose(1001, "the other relay peer went away");
        second.expectGone();
        RendezvousMetrics metrics = gateway.rendezvous().metrics();
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> metrics.errors() == 1);
        assertEquals(0, metrics.activePairs());
    }

    @Test
    void peerThatVanishesAfterItsCloseFrameEndsThePairWhileTheOtherIdles() throws Exception {
        // rendezvous 4.1, 4.3: its close frame crossed; then its connection ended, and the other peer sends
        // nothing: the gateway must still see the end, not keep the pair and both sockets for ever
        Pair pair = paired(ID, token("alice"), null);
        WsPeer first = pair.first();
        WsPeer second = pair.second();
        first.sendClose(1000, "done").sync();
        second.expectClose(1000, "done");
        first.closeAbruptly();
        second.expectGone();
        RendezvousMetrics metrics = gateway.rendezvous().metrics();
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> metrics.activePairs() == 0);
        assertEquals(1, metrics.errors(), "the other direction never ended: a failure");
    }

    @Test
    void slowPeerStopsTheOtherAtTheGatewayWithBoundedBufferingWhileOtherPairsFlow() throws Exception {
        // rendezvous 3.2: the receiver stops reading; the sender is stopped by the gateway, not buffered
        Pair pair = paired(ID, token("alice"), null);
        WsPeer sender = pair.first();
        WsPeer receiver = pair.second();
        receiver.setReading(false);
        long total = 96L * 1024 * 1024;
        CompletableFuture<byte[]> received = receiver.digestBinary(total);
        WsPeer.Pump pump = sender.pump(total, 64 * 1024, new Random(3));

        // another pair moves 16 MiB meanwhile: the stalled one holds up nobody else
        String other = "ZZZZyyyyXXXXwwww-other";
        Pair others = paired(other, token("bob"), null);
        WsPeer a = others.first();
        WsPeer b = others.second();
        long otherTotal = 16L * 1024 * 1024;
        CompletableFuture<byte[]> atB = b.digestBinary(otherTotal);
        assertArrayEquals(a.pump(otherTotal, 64 * 1024, new Random(4)).done.get(30, TimeUnit.SECONDS),
                atB.get(30, TimeUnit.SECONDS));

        // what left the sender is what the kernel buffers of both hops hold plus the gateway's water marks and
        // a frame each way (a few MiB measured), never the 96 MiB it tried to send
        long backlog = pump.flushed.get();
        assertTrue(backlog < 24L * 1024 * 1024, "sender flushed " + backlog + " bytes to a stalled pair");
        assertEquals(0, receiver.digested());

        receiver.setReading(true); // and everything arrives, intact
        assertArrayEquals(pump.done.get(40, TimeUnit.SECONDS), received.get(40, TimeUnit.SECONDS));
    }

    @Test
    void pingsBetweenFramesDoNotLetTheSenderPastAPeerThatDoesNotRead() throws Exception {
        // rendezvous 3.2, 3.3: the joiner (it needs no token) sends a ping after each 16 KiB frame toward a peer
        // that stopped reading; the gateway answers the pings it reads, and reads no further for them. Over plain
        // ws, as behind a TLS terminator, where Netty's ping handling had the gateway read on after each ping
        GatewayServer plain = gateway(Duration.ofSeconds(15), false);
        URI uri = URI.create("ws://127.0.0.1:" + plain.deviceAddress().getPort() + "/relay?id=" + ID);
        WsPeer receiver = WsPeer.open(clients, uri, null, token("alice"));
        awaitWaiting(plain);
        WsPeer sender = WsPeer.open(clients, uri, null, null);
        receiver.expectGreeting();
        sender.expectGreeting();
        receiver.setReading(false);
        long total = 64L * 1024 * 1024;
        CompletableFuture<byte[]> received = receiver.digestBinary(total);
        WsPeer.Pump pump = sender.pumpWithPings(total, 16 * 1024, new Random(5));

        // wait until the sender is stalled (it cannot write, and nothing more left it between two looks), or
        // has sent more than a stalled pair may hold, as it did when each ping made the gateway read on
        long bound = 24L * 1024 * 1024;
        long[] last = {-1};
        Awaitility.await().atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(250)).until(() -> {
            long now = pump.flushed.get();
            boolean stalled = now == last[0] && !sender.channel().isWritable();
            last[0] = now;
            return stalled || now > bound;
        });
        long backlog = pump.flushed.get();
        assertTrue(backlog <= bound, "sender flushed " + backlog + " bytes to a peer that does not read");
        assertEquals(0, receiver.digested());
        assertEquals(WsPeer.PONG, sender.next().kind(), "the gateway answers the pings it reads");

        receiver.setReading(true); // and everything arrives, intact, without the pings
        assertArrayEquals(pump.done.get(40, TimeUnit.SECONDS), received.get(40, TimeUnit.SECONDS));
    }

    @Test
    void peersOnDifferentEventLoopsArePairedOnOne() throws Exception {
        // Rendezvous.moveToWaitingLoop: the gateway's workers take connections in turn, so of several pairs
        // most join across loops; each must still relay both ways
        for (int i = 0; i < 6; i++) {
            String id = ID + "-loop" + i;
            Pair pair = paired(id, token("alice"), null);
            WsPeer first = pair.first();
            WsPeer second = pair.second();
            first.sendText("to second " + i);
            second.sendText("to first " + i);
            assertFrame(second.next(), WsPeer.TEXT, true, "to second " + i);
            assertFrame(first.next(), WsPeer.TEXT, true, "to first " + i);
        }
        assertEquals(6, gateway.rendezvous().metrics().activePairs());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        // rendezvous 1.2
        "/relay | 400 | E_BAD_RELAY_ID | request has no id parameter (expected: /relay?id=ID)",
        "/relay?id=AAAAbbbbCCCC%2BdddEEE | 401 | E_RELAY_TOKEN_REQUIRED | relay id 'AAAAbbbbCCCC+dddEEE' is not 16",
        "/relay?id=AAAAbbbbCCCCdddd&id=AAAAbbbbCCCCeeee | 400 | E_BAD_RELAY_ID | "
            + "request has 2 id parameters (expected: one)",
        // rendezvous 1.3
        "/relay?id=AAAAbbbbCCCCdddd&browser=yes | 400 | E_BAD_RELAY_REQUEST | "
            + "browser parameter is 'yes' (expected: 1 or 0)",
        "/relay?id=AAAAbbbbCCCCdddd&p=-1 | 400 | E_BAD_RELAY_REQUEST | "
            + "p parameter is '-1' (expected: a protocol number",
        "/relay?id=AAAAbbbbCCCCdddd&p=2147483648 | 400 | E_BAD_RELAY_REQUEST | p parameter is '2147483648'",
        "/relay?id=abc%20def | 400 | E_BAD_RELAY_ID | relay id holds U+0020 at index 3",
        "/meshrelay.ashx?id=k3j9x0q2mz | 401 | E_RELAY_TOKEN_REQUIRED | relay id 'k3j9x0q2mz' is not 16 to 128 "
            + "base64url characters, so it could be guessed (expected: a token with it",
        // rendezvous 1.4
        "/relay?id=AAAAbbbbCCCCdddd&access_token=x.y.z | 401 | E_INVALID_TOKEN | token header is not",
        "/meshrelay.ashx?id=k3j9x0q2mz&auth=x.y.z | 401 | E_INVALID_TOKEN | token header is not",
        "/relay?id=k3j9x0q2mz&auth=x.y.z&access_token=x.y.z | 401 | E_INVALID_TOKEN | request carries a token in "
            + "its auth parameter and another one (expected: one token)",
        // control 1.1
        "/relays?id=AAAAbbbbCCCCdddd | 404 | E_NOT_FOUND | no endpoint at this path (expected: / for device "
            + "tunnels, /relay or /meshrelay.ashx for the rendezvous relay)",
    })
    void badUpgradeRequestIsAnsweredWithItsStatusAndAReasonBeforeAnyWebSocket(String target, int status,
                                                                             String code, String message)
            throws Exception {
        // the gateway checks the request before the WebSocket handshake: a plain GET gets the same answer
        GatewayServer plain = gateway(Duration.ofSeconds(15), false);
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + plain.deviceAddress().getPort() + target)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(status, response.statusCode(), response.body());
        assertTrue(response.body().contains("\"code\":\"" + code + '"'), response.body());
        assertTrue(response.body().contains(message), response.body());
        assertEquals(0, plain.rendezvous().metrics().waitingPeers());
    }

    @Test
    void meshCentralsParametersAndUnknownOnesAreAccepted() throws Exception {
        // rendezvous 1.3, 1.4: browser, p, parameters we do not know, and the token as access_token
        WsPeer first = peer(ID + "&browser=1&p=2&nodeid=x&rauth=y&access_token=" + token("alice"), null);
        awaitWaiting(gateway);
        peer(ID + "&browser=0", null).expectGreeting();
        first.expectGreeting();
    }

    @Test
    void meshCentralsOwnIdsPairAtItsPathWhenBothPeersHaveATokenInItsAuthParameter() throws Exception {
        // rendezvous 1.1, 1.2, 1.4: its web UI's id (browser=1, p=1, auth=), the agent's side; its server's id
        // with @ and $; its messenger's with /
        for (String id : List.of("4fzyo82mvyr", "Ab@d$fGh1jKl", "meshmessenger/node//Ab@$/user//admin")) {
            WsPeer browser = WsPeer.open(clients, URI.create("wss://localhost:" + gateway.deviceAddress().getPort()
                    + "/meshrelay.ashx?browser=1&p=1&nodeid=node//x&id=" + id + "&auth=" + token("alice")), tls, null);
            awaitWaiting(gateway);
            WsPeer agent = WsPeer.open(clients, URI.create("wss://localhost:" + gateway.deviceAddress().getPort()
                    + "/meshrelay.ashx?p=1&nodeid=node//x&id=" + id), tls, token("alice"));
            browser.expectGreeting();
            agent.expectGreeting();
            browser.sendText("1");
            assertFrame(agent.next(), WsPeer.TEXT, true, "1");
            agent.sendText("$ ");
            assertFrame(browser.next(), WsPeer.TEXT, true, "$ ");
            browser.sendClose(1000, "");
            agent.expectClose(1000, "");
            agent.sendClose(1000, "");
            browser.expectClose(1000, "");
            Awaitility.await().atMost(WsPeer.TIMEOUT_SECONDS, TimeUnit.SECONDS)
                    .until(() -> gateway.rendezvous().metrics().activePairs() == 0);
        }
    }

    @Test
    void aGuessableIdIsRefusedToAPeerWithoutATokenBeforeItCanJoinAWaitingOne() throws Exception {
        // rendezvous 1.2: the waiting peer has a token; a stranger without one cannot join by guessing its id
        WsPeer first = peer("k3j9x0q2mz", token("alice"));
        awaitWaiting(gateway);
        Exception refused = assertThrows(Exception.class, () -> peer("k3j9x0q2mz", null));
        assertTrue(String.valueOf(refused.getMessage()).contains("401"), refused.toString());
        assertEquals(1, gateway.rendezvous().metrics().waitingPeers());
        peer("k3j9x0q2mz", token("alice")).expectGreeting();
        first.expectGreeting();
    }

    @Test
    void anOperatorMayLetPeersWithoutATokenUseGuessableIds() throws Exception {
        // rendezvous 1.2, --relay-guessable-ids: the waiting peer still needs a token (2.1)
        GatewayServer open = gateway(Duration.ofSeconds(15), true, true, 0);
        WsPeer anonymous = peer(open, "k3j9x0q2mz", null);
        anonymous.expectClose(1008, "no authenticated peer is waiting for this relay id");
        WsPeer first = peer(open, "k3j9x0q2mz", token("alice"));
        awaitWaiting(open);
        peer(open, "k3j9x0q2mz", null).expectGreeting();
        first.expectGreeting();
    }

    // ---- helpers ----------------------------------------------------------------------------------------

    private static void assertFrame(WsPeer.Frame frame, String kind, boolean fin, String text) {
        assertEquals(kind, frame.kind(), frame.toString());
        assertEquals(fin, frame.fin(), frame.toString());
        assertEquals(text, frame.text());
    }

    /** Two peers, both greeted (rendezvous 2.6). */
    private record Pair(WsPeer first, WsPeer second) {
    }

    private Pair paired(String id, String firstToken, String secondToken) throws Exception {
        WsPeer first = peer(id, firstToken);
        awaitWaiting(gateway);
        WsPeer second = peer(id, secondToken);
        first.expectGreeting();
        second.expectGreeting();
        return new Pair(first, second);
    }

    /**
     * Returns once {@code server} has one peer waiting: a client sees the upgrade's response before the gateway
     * takes the peer in, so a second peer opened at once could arrive first and be refused (rendezvous 2.1).
     */
    private static void awaitWaiting(GatewayServer server) {
        RendezvousMetrics metrics = server.rendezvous().metrics();
        Awaitility.await().atMost(WsPeer.TIMEOUT_SECONDS, TimeUnit.SECONDS).until(() -> metrics.waitingPeers() == 1);
    }

    private WsPeer peer(String id, String token) throws Exception {
        return peer(gateway, id, token);
    }

    private WsPeer peer(GatewayServer server, String id, String token) throws Exception {
        return WsPeer.open(clients, URI.create("wss://localhost:" + server.deviceAddress().getPort()
                + "/relay?id=" + id), tls, token);
    }

    private String token(String user) {
        return signer.sign(new DeviceToken(user, List.of(), List.of(), null));
    }

    private GatewayServer gateway(Duration hold, boolean withTls) throws Exception {
        return gateway(hold, withTls, false, 0);
    }

    private GatewayServer gateway(Duration hold, boolean withTls, boolean guessableIds, long maxMessage)
            throws Exception {
        GatewayServer server = new GatewayServer(GatewayConfig.newBuilder()
                .listen(new InetSocketAddress("127.0.0.1", 0)).publicBindHost("127.0.0.1")
                .tls(withTls ? TlsContexts.server(certificate) : null)
                .tlsPort(OptionalInt.empty()).httpPort(OptionalInt.empty())
                .verifier(new TokenVerifier(secret, Clock.systemUTC())).relayHold(hold)
                .relayGuessableIds(guessableIds).relayMaxMessage(maxMessage).build()).start();
        closeables.add(server);
        return server;
    }

    static {
        try {
            MessageDigest.getInstance("SHA-256"); // loaded before the first test's timer starts
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
