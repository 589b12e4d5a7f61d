package dev.mproxy.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.fasterxml.jackson.databind.JsonNode;
import dev.mproxy.auth.DeviceToken;
import dev.mproxy.auth.GatewaySecret;
import dev.mproxy.auth.TokenSigner;
import dev.mproxy.auth.TokenVerifier;
import dev.mproxy.protocol.MessageType;
import dev.mproxy.protocol.MproxyMessage;
import dev.mproxy.testing.Loopback;
import dev.mproxy.testing.TestSecrets;
import dev.mproxy.transport.Transport;
import dev.mproxy.tunnel.ControlMessages;
import dev.mproxy.tunnel.Grant;
import dev.mproxy.tunnel.TunnelLimits;
import dev.mproxy.tunnel.TunnelPipeline;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The device endpoint spoken to frame by frame, as a telebit device speaks it: no token at the upgrade, then
 * {@code hello}, {@code add_token} and {@code grant} in-band (protocol-spec/control.md), and the close
 * statuses of control 1.5.
 */
@Timeout(30)
class DeviceEndpointTest {

    private final byte[] key = TestSecrets.randomKey();
    private final GatewaySecret secret = GatewaySecret.of(key);
    private final EventLoopGroup group = Transport.newGroup(1);
    private GatewayServer gateway;

    @BeforeEach
    void start() throws Exception {
        restartGateway(TunnelLimits.DEFAULT, Duration.ofSeconds(15), Duration.ofSeconds(45), Duration.ofSeconds(10));
    }

    private void restartGateway(TunnelLimits limits, Duration pingInterval, Duration pingTimeout,
                                Duration handshakeTimeout) throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        gateway = new GatewayServer(GatewayConfig.newBuilder()
                .listen(new InetSocketAddress("127.0.0.1", 0)).publicBindHost("127.0.0.1")
                .tlsPort(OptionalInt.empty()).httpPort(OptionalInt.empty())
                .verifier(new TokenVerifier(secret, Clock.systemUTC())).limits(limits).pingInterval(pingInterval)
                .pingTimeout(pingTimeout).handshakeTimeout(handshakeTimeout).build()).start();
    }

    @AfterEach
    void stop() {
        gateway.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void telebitStyleDeviceAuthenticatesInBandAndIsGrantedInTelebitsShape() throws Exception {
        int port = Loopback.freePort();
        try (RawDevice device = device()) {
            JsonNode hello = device.control();
            assertEquals("[1,\"hello\",[1],[\"add_token\"]]", hello.toString());
            device.send(ControlMessages.ok(1));
            device.send(ControlMessages.command(7, "add_token", token("telebit-pi", List.of(port),
                    List.of("pi.example.com"))));
            assertEquals("[-7,null]", device.control().toString());
            // control 2.4: the entries telebit's device reads (grants.forEach), the host it dialed for the ports
            assertEquals("[2,\"grant\",[[\"https\",\"pi.example.com\"],[\"tcp\",\"127.0.0.1\",[" + port + "]]]]",
                    device.control().toString());
        }
    }

    @Test
    void sameTokenSentAgainIsAnsweredSuccessAndChangesNothing() throws Exception {
        // control 2.3: telebit's relay answers a repeated token with success; a connector sends it at the
        // upgrade and again in-band
        try (RawDevice device = device()) {
            device.control(); // hello
            String token = token("pi", List.of(Loopback.freePort()), List.of());
            device.send(ControlMessages.command(7, "add_token", token));
            assertEquals("[-7,null]", device.control().toString());
            device.grant();
            device.send(ControlMessages.command(8, "add_token", token));
            assertEquals("[-8,null]", device.control().toString());
            device.send(ControlMessages.command(9, "no_such_command"));
            assertEquals(-9, device.control().get(0).intValue(), "no second grant came before this reply");
        }
    }

    @Test
    void secondTokenOfTheSameDeviceAddsWhatItGrants() throws Exception {
        int first = Loopback.freePort();
        int second = Loopback.freePort();
        try (RawDevice device = device()) {
            device.control(); // hello
            device.send(ControlMessages.command(7, "add_token", token("pi", List.of(first), List.of("a.example"))));
            assertEquals("[-7,null]", device.control().toString());
            assertEquals(List.of(first), List.copyOf(device.grant().ports()));
            device.send(ControlMessages.command(8, "add_token", token("pi", List.of(second), List.of("b.example"))));
            assertEquals("[-8,null]", device.control().toString());
            Grant both = device.grant();
            assertEquals(List.of(Math.min(first, second), Math.max(first, second)), List.copyOf(both.ports()));
            assertEquals(List.of("a.example", "b.example"), both.domains());
            try (Socket a = new Socket(InetAddress.getLoopbackAddress(), first)) {
                MproxyMessage connection = device.nextStreamMessage();
                assertEquals(Integer.toString(first), connection.servicePort());
                connection.release();
                try (Socket b = new Socket(InetAddress.getLoopbackAddress(), second)) {
                    connection = device.nextStreamMessage();
                    assertEquals(Integer.toString(second), connection.servicePort());
                    connection.release();
                }
            }
        }
    }

    @Test
    void tokenOfAnotherDeviceIsRefusedAndTheTunnelStays() throws Exception {
        try (RawDevice device = device()) {
            device.control(); // hello
            device.send(ControlMessages.command(7, "add_token", token("pi", List.of(Loopback.freePort()), List.of())));
            assertEquals("[-7,null]", device.control().toString());
            device.grant();
            device.send(ControlMessages.command(8, "add_token", token("other", List.of(Loopback.freePort()),
                    List.of())));
            JsonNode reply = device.control();
            assertEquals(-8, reply.get(0).intValue());
            assertEquals("E_OTHER_DEVICE", reply.get(1).get("code").textValue(), reply.toString());
            device.send(ControlMessages.command(9, "no_such_command"));
            assertEquals(-9, device.control().get(0).intValue());
        }
    }

    @Test
    void badInBandTokenKeepsItsMessageAndAGoodOneMayFollow() throws Exception {
        try (RawDevice device = device()) {
            device.control(); // hello
            device.send(ControlMessages.command(9, "add_token", "not.a.jwt"));
            JsonNode reply = device.control();
            assertEquals(-9, reply.get(0).intValue());
            assertEquals("E_INVALID_TOKEN", reply.get(1).get("code").textValue());
            assertTrue(reply.get(1).get("message").textValue().length() > 10, reply.toString());
            int port = Loopback.freePort();
            device.send(ControlMessages.command(10, "add_token", token("pi", List.of(port), List.of())));
            assertEquals("[-10,null]", device.control().toString());
            assertEquals(List.of(port), List.copyOf(device.grant().ports()));
        }
    }

    @Test
    void tokenTelebitSignsForItselfIsAccepted() throws Exception {
        // control 2.5: telebit's lib/cli-common.js signToken: no sub, string ports, aud, iss in seconds
        int port = Loopback.freePort();
        String jwt = JWT.create()
                .withClaim("domains", List.of("pi.example.com"))
                .withClaim("ports", List.of(Integer.toString(port)))
                .withClaim("aud", "https://127.0.0.1/")
                .withClaim("iss", Instant.now().getEpochSecond())
                .withIssuedAt(Instant.now())
                .sign(Algorithm.HMAC256(key));
        try (RawDevice device = device()) {
            device.control(); // hello
            device.send(ControlMessages.command(7, "add_token", jwt));
            assertEquals("[-7,null]", device.control().toString());
            assertEquals(List.of(port), List.copyOf(device.grant().ports()));
        }
    }

    @Test
    void portTheGatewayCannotBindIsRefusedByNameBeforeTheGrant() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            try (RawDevice device = device()) {
                Grant grant = device.authenticate("pi", List.of(port), List.of());
                assertEquals(List.of(), List.copyOf(grant.ports()));
                assertEquals(port, grant.refused().get(0).port());
                assertEquals("E_PORT_UNAVAILABLE", grant.refused().get(0).code());
            }
        }
    }

    @Test
    void discoveryDocumentTellsTelebitWhereTheTunnelIsWithThePortItAskedOn() throws Exception {
        // control 1.6: telebit's device GETs this first and otherwise dials port 443
        int port = gateway.deviceAddress().getPort();
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/_apis/telebit.cloud/index.json")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        assertEquals("{\"api_host\":\":hostname:" + port + "\",\"tunnel\":{\"method\":\"wss\",\"pathname\":\"\"}}",
                response.body());
        assertEquals(":hostname", UpgradeAuthenticator.discovery("gw.example.com").get("api_host"));
        assertEquals(":hostname:7443", UpgradeAuthenticator.discovery("[::1]:7443").get("api_host"));
    }

    @Test
    void unknownCommandAndBadCommandAreAnsweredOnceAuthenticated() throws Exception {
        try (RawDevice device = device()) {
            device.authenticate(List.of(Loopback.freePort())); // limits 4.1: before this they close the tunnel
            device.send(ControlMessages.command(4, "delete_token", "*"));
            assertEquals("E_UNKNOWN_COMMAND", device.control().get(1).get("code").textValue());
            device.send(MproxyMessage.control(Unpooled.copiedBuffer("{\"not\":\"an array\"}",
                    StandardCharsets.UTF_8)));
            JsonNode bad = device.control();
            assertEquals(0, bad.get(0).intValue());
            assertEquals("E_BAD_COMMAND", bad.get(1).get("code").textValue());
        }
    }

    @Test
    void corruptMessageClosesTheTunnelWith1002AndTheRule() throws Exception {
        try (RawDevice device = device()) {
            device.control(); // hello
            device.channel.writeAndFlush(new BinaryWebSocketFrame(Unpooled.copiedBuffer("GET / HTTP/1.1\r\n",
                    StandardCharsets.US_ASCII)));
            CloseWebSocketFrame close = device.closeFrame.get(10, TimeUnit.SECONDS);
            assertEquals(1002, close.statusCode());
            assertTrue(close.reasonText().contains("rule 2.1"), close.reasonText());
            close.release();
        }
    }

    @Test
    void textFrameClosesTheTunnelWith1003() throws Exception {
        try (RawDevice device = device()) {
            device.control(); // hello
            device.channel.writeAndFlush(new TextWebSocketFrame("{\"hello\":1}"));
            CloseWebSocketFrame close = device.closeFrame.get(10, TimeUnit.SECONDS);
            assertEquals(1003, close.statusCode());
            close.release();
        }
    }

    @Test
    void frameOverTheMaximumClosesTheTunnelWith1009() throws Exception {
        try (RawDevice device = device()) {
            device.control(); // hello
            device.channel.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(
                    new byte[TunnelPipeline.MAX_FRAME_PAYLOAD + 1])));
            CloseWebSocketFrame close = device.closeFrame.get(10, TimeUnit.SECONDS);
            assertEquals(1009, close.statusCode(), close.reasonText());
            close.release();
        }
    }

    @Test
    void deviceWithoutATokenIsClosedWith1008AtTheHandshakeTimeout() throws Exception {
        restartGateway(TunnelLimits.DEFAULT, Duration.ofSeconds(15), Duration.ofSeconds(45), Duration.ofMillis(300));
        try (RawDevice device = device()) {
            device.control(); // hello, then nothing from the device
            CloseWebSocketFrame close = device.closeFrame.get(10, TimeUnit.SECONDS);
            assertEquals(1008, close.statusCode());
            assertTrue(close.reasonText().contains("no valid token"), close.reasonText());
            close.release();
        }
    }

    @Test
    void silentDeviceIsClosedAtThePingTimeoutAndItsPublicConnectionsAndPortWithIt() throws Exception {
        // control 1.4: a device whose network vanished sends no FIN; only the ping timeout notices
        restartGateway(TunnelLimits.DEFAULT, Duration.ofMillis(100), Duration.ofMillis(600), Duration.ofSeconds(10));
        int port = Loopback.freePort();
        try (RawDevice device = device()) {
            device.authenticate(List.of(port));
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
                client.setSoTimeout(10_000);
                assertEquals(MessageType.CONNECTION, device.nextStreamMessage().type());
                device.channel.config().setAutoRead(false); // reads nothing, answers no ping
                assertClosed(client); // reset: the stream did not end, so no FIN that looks like a complete reply
            }
            await().atMost(10, TimeUnit.SECONDS).untilAsserted(() -> assertRefused(port));
        }
    }

    @Test
    void publicConnectionPastTheDevicesStreamLimitIsRefused() throws Exception {
        TunnelLimits two = new TunnelLimits(TunnelLimits.DEFAULT.streamWaterMark(),
                TunnelLimits.DEFAULT.pauseIgnoredLimit(), 2);
        restartGateway(two, Duration.ofSeconds(15), Duration.ofSeconds(45), Duration.ofSeconds(10));
        int port = Loopback.freePort();
        try (RawDevice device = device()) {
            device.authenticate(List.of(port));
            try (Socket first = new Socket(InetAddress.getLoopbackAddress(), port)) {
                device.nextStreamMessage().release(); // connection
                try (Socket second = new Socket(InetAddress.getLoopbackAddress(), port)) {
                    device.nextStreamMessage().release(); // connection
                    try (Socket third = new Socket(InetAddress.getLoopbackAddress(), port)) {
                        third.setSoTimeout(10_000);
                        assertClosed(third);
                    }
                    first.getOutputStream().write(1);
                    MproxyMessage next = device.nextStreamMessage();
                    assertEquals(MessageType.DATA, next.type(), "no connection was sent for the third client");
                    assertEquals(Integer.toString(first.getLocalPort()), next.address().port());
                    next.release();
                }
            }
        }
    }

    @Test
    void secondLiveConnectionWithTheSameClientAddressIsRefusedNotMerged() throws Exception {
        // streams 2.2: one client address and port reaching two public ports would share one stream id
        int portA = Loopback.freePort();
        int portB = Loopback.freePort();
        try (RawDevice device = device(); Socket a = new Socket(); Socket b = new Socket()) {
            device.authenticate(List.of(portA, portB));
            a.setReuseAddress(true);
            a.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            InetSocketAddress clientAddress = (InetSocketAddress) a.getLocalSocketAddress();
            a.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), portA));
            MproxyMessage connection = device.nextStreamMessage();
            assertEquals(Integer.toString(clientAddress.getPort()), connection.address().port());
            assertEquals(Integer.toString(portA), connection.servicePort());
            b.setReuseAddress(true);
            b.bind(clientAddress);
            b.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), portB));
            b.setSoTimeout(10_000);
            assertClosed(b);
            a.getOutputStream().write(2);
            MproxyMessage data = device.nextStreamMessage();
            assertEquals(MessageType.DATA, data.type(), "no connection was sent for the second client");
            assertEquals(Integer.toString(portA), data.servicePort());
            data.release();
        }
    }

    private String token(String device, List<Integer> ports, List<String> domains) {
        return new TokenSigner(secret, Clock.systemUTC()).sign(new DeviceToken(device, ports, domains, null));
    }

    private RawDevice device() throws Exception {
        return new RawDevice(group, gateway.deviceAddress(), secret);
    }

    private static void assertClosed(Socket client) throws IOException {
        try {
            assertEquals(-1, client.getInputStream().read());
        } catch (SocketException reset) {
            // a reset is a close: what matters is that the read did not hang
        }
    }

    private static void assertRefused(int port) {
        assertThrows(ConnectException.class, () -> new Socket(InetAddress.getLoopbackAddress(), port).close());
    }
}
