package dev.mproxy.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
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

    private final GatewaySecret secret = TestSecrets.random();
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
    void telebitStyleDeviceAuthenticatesInBandAndIsGranted() throws Exception {
        try (RawDevice device = device()) {
            JsonNode hello = device.control();
            assertEquals("[1,\"hello\",[1],[\"add_token\"]]", hello.toString());
            device.send(ControlMessages.ok(1));
            String token = new TokenSigner(secret, Clock.systemUTC())
                    .sign(new DeviceToken("telebit-pi", List.of(), List.of("pi.example.com"), null));
            device.send(ControlMessages.command(7, "add_token", token));
            assertEquals("[-7,null]", device.control().toString());
            JsonNode grant = device.control();
            assertEquals("grant", grant.get(1).textValue());
            assertEquals("telebit-pi", grant.get(2).get("device").textValue());
            assertEquals("pi.example.com", grant.get(2).get("domains").get(0).textValue());
        }
    }

    @Test
    void badInBandTokenKeepsItsMessage() throws Exception {
        try (RawDevice device = device()) {
            device.control(); // hello
            device.send(ControlMessages.command(9, "add_token", "not.a.jwt"));
            JsonNode reply = device.control();
            assertEquals(-9, reply.get(0).intValue());
            assertEquals("E_INVALID_TOKEN", reply.get(1).get("code").textValue());
            assertTrue(reply.get(1).get("message").textValue().length() > 10, reply.toString());
        }
    }

    @Test
    void unknownCommandAndBadCommandAreAnswered() throws Exception {
        try (RawDevice device = device()) {
            device.control(); // hello
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
