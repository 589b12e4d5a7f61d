package dev.mproxy.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import dev.mproxy.auth.DeviceToken;
import dev.mproxy.auth.GatewaySecret;
import dev.mproxy.auth.TokenSigner;
import dev.mproxy.auth.TokenVerifier;
import dev.mproxy.connector.Connector;
import dev.mproxy.connector.ConnectorConfig;
import dev.mproxy.guard.GuardLimits;
import dev.mproxy.guard.Refusal;
import dev.mproxy.logging.LogFormat;
import dev.mproxy.logging.Logging;
import dev.mproxy.protocol.MessageType;
import dev.mproxy.protocol.MproxyMessage;
import dev.mproxy.testing.Loopback;
import dev.mproxy.testing.TestSecrets;
import dev.mproxy.tls.GatewayCertificate;
import dev.mproxy.tls.SelfSignedCertificateGenerator;
import dev.mproxy.tls.TlsContexts;
import dev.mproxy.transport.Transport;
import dev.mproxy.tunnel.ControlMessages;
import dev.mproxy.tunnel.Grant;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each attack of issue 13 over real sockets, with short bounds set through the config builder: the attack, the
 * bound that ends it (protocol-spec/limits.md), and where it matters a legitimate client still served.
 */
@Timeout(60)
class HostileInternetTest {

    private final GatewaySecret secret = TestSecrets.random();
    private final EventLoopGroup group = Transport.newGroup(1);
    private final List<AutoCloseable> open = new ArrayList<>();
    private GatewayServer gateway;

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        if (gateway != null) {
            gateway.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private GatewayServer start(UnaryOperator<GatewayConfig.Builder> settings) throws Exception {
        gateway = new GatewayServer(settings.apply(GatewayConfig.newBuilder()
                .listen(new InetSocketAddress("127.0.0.1", 0)).publicBindHost("127.0.0.1")
                .tlsPort(OptionalInt.empty()).httpPort(OptionalInt.empty())
                .verifier(new TokenVerifier(secret, Clock.systemUTC()))).build()).start();
        return gateway;
    }

    @Test
    void tlsClientThatSendsNothingAfterTheHandshakeIsClosedAtTheDeadline() throws Exception {
        // limits 1.1 (H1): TLS done, then silence; before, such connections were held until fds ran out
        GatewayCertificate certificate = SelfSignedCertificateGenerator.generate(List.of("localhost"));
        SslContext tls = TlsContexts.server(certificate);
        start(b -> b.tls(tls).handshakeTimeout(Duration.ofMillis(500)));
        try (SSLSocket idle = (SSLSocket) trustingEverything().getSocketFactory()
                .createSocket("127.0.0.1", gateway.deviceAddress().getPort())) {
            idle.startHandshake();
            long start = System.nanoTime();
            assertClosed(idle);
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(20), "closed by the deadline");
        }
        assertEquals(1, gateway.refusals().count(Refusal.HANDSHAKE_TIMEOUT));
        // a legitimate device is still served on a gateway that closed an idle one
        start(b -> b.handshakeTimeout(Duration.ofSeconds(10)));
        try (RawDevice device = device()) {
            device.authenticate(List.of(Loopback.freePort()));
        }
    }

    @Test
    void slowUpgradeRequestIsClosedAtTheDeadline() throws Exception {
        // limits 1.1: one byte now and then does not keep the connection
        start(b -> b.handshakeTimeout(Duration.ofMillis(500)));
        try (Socket slow = new Socket("127.0.0.1", gateway.deviceAddress().getPort())) {
            slow.getOutputStream().write("GET / HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
            assertClosed(slow);
        }
        assertEquals(1, gateway.refusals().count(Refusal.HANDSHAKE_TIMEOUT));
    }

    @Test
    void anyReplyButSwitchingProtocolsClosesTheConnectionOnceWritten() throws Exception {
        // limits 1.2: a 404 (and a 413) used to leave the connection open for more requests
        start(b -> b);
        try (Socket client = new Socket("127.0.0.1", gateway.deviceAddress().getPort())) {
            client.getOutputStream().write(("GET /nothing-here HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String reply = new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertTrue(reply.startsWith("HTTP/1.1 404"), reply);
            assertTrue(!reply.contains("nothing-here"), "the path is not echoed (limits 4.4): " + reply);
        }
        try (Socket client = new Socket("127.0.0.1", gateway.deviceAddress().getPort())) {
            // a 413 for a body over the upgrade's 16 KiB used to leave the connection open too
            client.getOutputStream().write(("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String reply = new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertTrue(reply.startsWith("HTTP/1.1 413"), reply);
        }
    }

    @Test
    void nonTlsBytesOnTheTlsDevicePortAreClosedWithoutATrace() throws Exception {
        // limits 1.3 (M3): plain HTTP on the TLS port logged a 34-line NotSslRecordException each time
        GatewayCertificate certificate = SelfSignedCertificateGenerator.generate(List.of("localhost"));
        SslContext tls = TlsContexts.server(certificate);
        start(b -> b.tls(tls));
        logsDuring(() -> {
            for (int i = 0; i < 3; i++) {
                try (Socket plain = new Socket("127.0.0.1", gateway.deviceAddress().getPort())) {
                    plain.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
                    assertClosed(plain);
                }
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> gateway.refusals().count(Refusal.NOT_TLS) == 3);
        });
    }

    @Test
    void oneSourceCannotExceedItsConnectionCapWhileAnotherSourceIsServed() throws Exception {
        // limits 2.1 (H2): one address held 1024 idle connections and locked the device out
        start(b -> b.guardLimits(GuardLimits.DEFAULT.withMaxConnectionsPerSource(3)));
        int port = Loopback.freePort();
        RawDevice device = device();
        device.authenticate(List.of(port));
        List<Socket> held = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            held.add(connect("127.0.0.1", port));
            open.add(held.get(i));
            assertConnection(device, "127.0.0.1");
        }
        try (Socket fourth = connect("127.0.0.1", port)) {
            assertClosed(fourth);
        }
        assertEquals(1, gateway.refusals().count(Refusal.TOO_MANY_CONNECTIONS));
        open.add(connect("127.0.0.2", port)); // another source
        assertConnection(device, "127.0.0.2");
        held.get(0).setSoLinger(true, 0);
        held.get(0).close(); // reset, so the gateway closes it at once: a connection given back makes room again
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            try (Socket again = connect("127.0.0.1", port)) {
                again.setSoTimeout(300);
                try {
                    return again.getInputStream().read() != -1;
                } catch (java.net.SocketTimeoutException stillOpen) {
                    return true;
                } catch (SocketException reset) {
                    return false;
                }
            }
        });
    }

    @Test
    void oneSourceCannotTakeADevicesWholeStreamTable() throws Exception {
        // limits 2.2 (H2)
        start(b -> b.guardLimits(GuardLimits.DEFAULT.withMaxStreamsPerSource(2)));
        int port = Loopback.freePort();
        RawDevice device = device();
        device.authenticate(List.of(port));
        open.add(connect("127.0.0.1", port));
        open.add(connect("127.0.0.1", port));
        assertConnection(device, "127.0.0.1");
        assertConnection(device, "127.0.0.1");
        try (Socket third = connect("127.0.0.1", port)) {
            assertClosed(third);
        }
        assertEquals(1, gateway.refusals().count(Refusal.TOO_MANY_STREAMS));
        open.add(connect("127.0.0.2", port));
        assertConnection(device, "127.0.0.2");
    }

    @Test
    void publicStreamWithoutAByteEitherWayIsClosedAfterTheIdleTimeout() throws Exception {
        // limits 2.3 (H2): idle public streams were held forever
        start(b -> b.guardLimits(GuardLimits.DEFAULT.withStreamIdleTimeout(Duration.ofMillis(700))));
        int port = Loopback.freePort();
        RawDevice device = device();
        device.authenticate(List.of(port));
        try (Socket idle = connect("127.0.0.1", port)) {
            assertConnection(device, "127.0.0.1");
            assertClosed(idle);
        }
        MproxyMessage after = device.nextStreamMessage(); // the device hears the stream is gone
        try {
            assertTrue(after.type() == MessageType.END || after.type() == MessageType.ERROR, after.toString());
        } finally {
            after.release();
        }
        assertEquals(1, gateway.refusals().count(Refusal.STREAM_IDLE));
    }

    @Test
    void junkControlMessageBeforeAuthenticationGetsACloseNotAReply() throws Exception {
        // limits 4.1 (H3): the gateway answered, and echoed, junk from anyone who completed the upgrade
        start(b -> b);
        try (RawDevice stranger = device()) {
            stranger.control(); // hello
            stranger.send(MproxyMessage.control(Unpooled.wrappedBuffer(new byte[100_000])));
            CloseWebSocketFrame close = stranger.closeFrame.get(10, TimeUnit.SECONDS);
            try {
                assertEquals(1008, close.statusCode());
                assertTrue(close.reasonText().contains("expected: add_token"), close.reasonText());
            } finally {
                close.release();
            }
            assertNull(stranger.received.poll(), "no reply came before the close");
        }
        assertEquals(1, gateway.refusals().count(Refusal.UNAUTHENTICATED_COMMAND));
    }

    @Test
    void badCommandIsAnsweredWithWhatWasExpectedNeverTheBodyBack() throws Exception {
        // limits 4.4 (H3): 100 bytes in were 666 out
        start(b -> b);
        try (RawDevice device = device()) {
            device.authenticate(List.of(Loopback.freePort()));
            String junk = "\"" + "x".repeat(50_000) + "\n\u202e";
            device.send(MproxyMessage.control(Unpooled.copiedBuffer(junk, StandardCharsets.UTF_8)));
            String reply = device.control().toString();
            assertTrue(reply.contains("E_BAD_COMMAND") && reply.contains("expected:"), reply);
            assertTrue(reply.length() < 200, reply);
        }
    }

    @Test
    void failedAuthenticationsFromOneSourceAreThrottled() throws Exception {
        // limits 4.2 (L): 1,200 add_token tries in under a second on one connection
        start(b -> b);
        try (RawDevice guesser = device()) {
            guesser.control(); // hello
            for (int i = 1; i <= 10; i++) {
                guesser.send(ControlMessages.command(i, "add_token", "not.a.token"));
                assertEquals(-i, guesser.control().get(0).intValue());
            }
            guesser.send(ControlMessages.command(11, "add_token", "not.a.token"));
            CloseWebSocketFrame close = guesser.closeFrame.get(10, TimeUnit.SECONDS);
            try {
                assertEquals(1008, close.statusCode());
            } finally {
                close.release();
            }
        }
        assertEquals(10, gateway.refusals().count(Refusal.BAD_TOKEN));
        assertEquals(1, gateway.refusals().count(Refusal.AUTH_THROTTLED));
    }

    @Test
    void expiredTokenClosesALiveTunnel() throws Exception {
        // limits 4.3 (M2): a tunnel outlived its token's exp indefinitely
        start(b -> b.guardLimits(GuardLimits.DEFAULT.withTokenGrace(Duration.ZERO)));
        try (RawDevice device = device()) {
            device.control(); // hello
            Instant exp = Instant.now().plusSeconds(2);
            device.send(ControlMessages.command(3, "add_token", new TokenSigner(secret, Clock.systemUTC())
                    .sign(new DeviceToken("short-lived", List.of(Loopback.freePort()), List.of(), exp))));
            assertEquals("[-3,null]", device.control().toString());
            device.grant();
            CloseWebSocketFrame close = device.closeFrame.get(20, TimeUnit.SECONDS);
            try {
                assertEquals(1008, close.statusCode());
                assertTrue(close.reasonText().contains("token expired"), close.reasonText());
            } finally {
                close.release();
            }
        }
        assertEquals(1, gateway.refusals().count(Refusal.TOKEN_EXPIRED));
    }

    @Test
    void connectorGivenATokenFileReconnectsWithTheTokenRenewedInIt(@TempDir Path dir) throws Exception {
        // limits 4.3: the gateway closes the tunnel at exp; the connector reads --token-file again and is back
        start(b -> b.guardLimits(GuardLimits.DEFAULT.withTokenGrace(Duration.ZERO)));
        int port = Loopback.freePort();
        TokenSigner signer = new TokenSigner(secret, Clock.systemUTC());
        Path tokenFile = dir.resolve("device.token");
        String shortLived = signer.sign(new DeviceToken("renewed", List.of(port), List.of(),
                Instant.now().plusSeconds(2)));
        Files.writeString(tokenFile, shortLived);
        BlockingQueue<Grant> grants = new LinkedBlockingQueue<>();
        Connector connector = new Connector(ConnectorConfig.newBuilder()
                .gateway(URI.create("ws://127.0.0.1:" + gateway.deviceAddress().getPort() + "/"))
                .token(shortLived).tokenFile(tokenFile)
                .tcp(Map.of(port, new InetSocketAddress("127.0.0.1", Loopback.freePort())))
                .maxBackoff(Duration.ofMillis(500)).build(), grants::add).start();
        open.add(connector);
        assertNotNull(grants.poll(20, TimeUnit.SECONDS), "first grant");
        Files.writeString(tokenFile, signer.sign(new DeviceToken("renewed", List.of(port), List.of(),
                Instant.now().plus(Duration.ofDays(1)))));
        assertNotNull(grants.poll(30, TimeUnit.SECONDS), "granted again after the first token expired");
        assertEquals(1, gateway.refusals().count(Refusal.TOKEN_EXPIRED));
        assertEquals(1, gateway.deviceCount());
    }

    @Test
    void peerThatNeverReadsIsNotReadEither() throws Exception {
        // limits 3.3 (H3): a client that sent junk and never read took RSS from 166 to 926 MB in 2 s
        start(b -> b);
        try (RawDevice device = device()) {
            device.authenticate(List.of(Loopback.freePort()));
            device.channel.config().setAutoRead(false);
            byte[] junk = new byte[60_000];
            long sent = 0;
            while (device.channel.isWritable() && sent < 512L * 1024 * 1024) {
                device.send(MproxyMessage.control(Unpooled.wrappedBuffer(junk)));
                sent += junk.length;
                if (sent % (4 * 1024 * 1024) < junk.length) {
                    Thread.sleep(1); // lets the sockets move bytes
                }
            }
            assertTrue(!device.channel.isWritable(), "the gateway stopped reading after " + sent + " bytes");
        }
    }

    @Test
    void deviceIgnoringPauseStopsBeingReadAtItsTunnelBudgetAndIsReadAgainOnceDrained() throws Exception {
        // limits 3.1 (M1): slow public clients let a device that ignores pause fill the gateway's memory
        int budget = 1024 * 1024;
        start(b -> b.guardLimits(GuardLimits.DEFAULT.withTunnelMemory(budget)));
        int port = Loopback.freePort();
        RawDevice device = device();
        device.authenticate(List.of(port));
        Socket slow = connect("127.0.0.1", port);
        open.add(slow);
        slow.setReceiveBufferSize(16 * 1024);
        MproxyMessage connection = device.nextStreamMessage();
        byte[] chunk = new byte[64 * 1024];
        int total = 8 * budget;
        for (int sent = 0; sent < total; sent += chunk.length) {
            device.send(MproxyMessage.data(connection.address(), connection.service(), connection.servicePort(),
                    connection.name(), Unpooled.wrappedBuffer(chunk)));
        }
        connection.release();
        await().atMost(Duration.ofSeconds(20)).until(() -> gateway.refusals().count(Refusal.TUNNEL_MEMORY) >= 1);
        InputStream in = slow.getInputStream();
        long read = 0;
        byte[] buffer = new byte[64 * 1024];
        slow.setSoTimeout(20_000);
        while (read < total) {
            int n = in.read(buffer);
            assertTrue(n > 0, "all the device sent arrives once the client reads (" + read + " of " + total + ')');
            read += n;
        }
    }

    @Test
    void remoteTextIsLoggedEscapedOnOneLineAndAMalformedClientHelloWithoutATrace() throws Exception {
        // limits 5.1, 5.3 (M3): a Host beginning with [ was logged raw; a ClientHello over 16 KiB logged a trace
        start(b -> b.tlsPort(OptionalInt.of(0)).httpPort(OptionalInt.of(0)));
        List<String> records = logsDuring(() -> {
            try (Socket http = new Socket("127.0.0.1", gateway.httpAddress().getPort())) {
                http.getOutputStream().write("GET / HTTP/1.1\r\nHost: [x\u001b[31m\u0085INFO: forged]\r\n\r\n"
                        .getBytes(StandardCharsets.ISO_8859_1));
                assertClosed(http);
            }
            try (Socket tlsPort = new Socket("127.0.0.1", gateway.tlsAddress().getPort())) {
                byte[] hello = new byte[5 + 16_384];
                byte[] head = {0x16, 0x03, 0x01, 0x40, 0x00, 0x01, 0x00, 0x50, 0x00}; // handshake of 20 KiB claimed
                System.arraycopy(head, 0, hello, 0, head.length);
                tlsPort.getOutputStream().write(hello);
                assertClosed(tlsPort);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> gateway.refusals().count(Refusal.UNKNOWN_NAME) == 1
                    && gateway.refusals().count(Refusal.UNROUTABLE) == 1);
        });
        for (String message : records) {
            assertTrue(message.indexOf('\n') < 0 && message.indexOf('\u001b') < 0 && message.indexOf('\u0085') < 0,
                    message);
        }
        assertTrue(records.stream().anyMatch(r -> r.contains("\"[x\\u001b[31m\\u0085info: forged]\"")),
                records.toString());
    }

    // ---- helpers -----------------------------------------------------------------------------------------

    private RawDevice device() throws Exception {
        RawDevice device = new RawDevice(group, gateway.deviceAddress(), secret);
        open.add(device);
        return device;
    }

    /** A connection to the public {@code port} from the loopback address {@code from}. */
    private static Socket connect(String from, int port) throws IOException {
        Socket socket = new Socket();
        socket.bind(new InetSocketAddress(from, 0));
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        return socket;
    }

    /** The device is asked to carry a stream from {@code source}. */
    private static void assertConnection(RawDevice device, String source) throws InterruptedException {
        MproxyMessage m = device.nextStreamMessage();
        try {
            assertEquals(MessageType.CONNECTION, m.type(), m.toString());
            assertEquals(source, m.address().address());
        } finally {
            m.release();
        }
    }

    private static void assertClosed(Socket socket) throws IOException {
        socket.setSoTimeout(20_000);
        try {
            InputStream in = socket.getInputStream();
            while (in.read() != -1) {
                // what the gateway wrote before closing
            }
        } catch (SocketException | javax.net.ssl.SSLException reset) {
            // closed hard: as good as a FIN
        }
    }

    interface Attack {
        void run() throws Exception;
    }

    /**
     * The message of every log line while {@code attack} runs, read from logback as JSON; none may carry an
     * exception (limits 5.3).
     */
    private static List<String> logsDuring(Attack attack) throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        Logging.configure(Level.INFO, LogFormat.JSON, out);
        try {
            attack.run();
        } finally {
            Logging.configure(Level.INFO, LogFormat.TEXT);
        }
        List<String> messages = new ArrayList<>();
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        for (String line : out.toString(StandardCharsets.UTF_8).lines().toList()) {
            com.fasterxml.jackson.databind.JsonNode record = json.readTree(line);
            assertFalse(record.has("error"), "no stack trace: " + line);
            messages.add(record.path("msg").asText());
        }
        return messages;
    }

    private static SSLContext trustingEverything() throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        return context;
    }
}
