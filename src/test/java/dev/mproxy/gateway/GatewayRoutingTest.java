package dev.mproxy.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mproxy.auth.GatewaySecret;
import dev.mproxy.auth.TokenVerifier;
import dev.mproxy.protocol.MessageType;
import dev.mproxy.protocol.MproxyMessage;
import dev.mproxy.testing.TestSecrets;
import dev.mproxy.transport.Transport;
import dev.mproxy.tunnel.Grant;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.EventLoopGroup;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The shared TLS and HTTP ports as devices see them (protocol-spec/routing.md): which device gets a
 * connection, and that the bytes it gets are exactly the client's.
 */
@Timeout(30)
class GatewayRoutingTest {

    private final GatewaySecret secret = TestSecrets.random();
    private final EventLoopGroup group = Transport.newGroup(1);
    private final List<RawDevice> devices = new ArrayList<>();
    private GatewayServer gateway;

    @BeforeEach
    void start() throws Exception {
        gateway = new GatewayServer(GatewayConfig.newBuilder()
                .listen(new InetSocketAddress("127.0.0.1", 0)).publicBindHost("127.0.0.1")
                .tlsPort(OptionalInt.of(0)).httpPort(OptionalInt.of(0))
                .verifier(new TokenVerifier(secret, Clock.systemUTC())).build()).start();
    }

    @AfterEach
    void stop() {
        devices.forEach(RawDevice::close);
        gateway.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void clientHelloWrittenOneByteAtATimeReachesTheDeviceUnchanged() throws Exception {
        RawDevice pi = device("pi", "pi.example.com");
        byte[] hello = clientHello("pi.example.com");
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), gateway.tlsAddress().getPort())) {
            client.setTcpNoDelay(true);
            OutputStream out = client.getOutputStream();
            for (byte b : hello) {
                out.write(b);
                out.flush();
            }
            assertConnection(pi, "https", "pi.example.com", gateway.tlsAddress().getPort());
            assertArrayEquals(hello, pi.readData(hello.length));
        }
    }

    @Test
    void clientHelloSplitAcrossManyTlsRecordsIsRoutedByItsServerName() throws Exception {
        // routing 2.2: a handshake message may span records; the name can sit in any of them
        RawDevice pi = device("pi", "pi.example.com");
        byte[] split = inRecordsOf(clientHello("pi.example.com"), 50);
        try (Socket client = connect(gateway.tlsAddress())) {
            client.getOutputStream().write(split);
            assertConnection(pi, "https", "pi.example.com", gateway.tlsAddress().getPort());
            assertArrayEquals(split, pi.readData(split.length));
        }
    }

    @Test
    void exactNameFirstThenTheLongestWildcard() throws Exception {
        RawDevice outer = device("outer", "*.example.com");
        RawDevice lab = device("lab", "*.lab.example.com");
        RawDevice exact = device("exact", "x.lab.example.com");
        assertRoutedTo(lab, "y.lab.example.com");
        assertRoutedTo(exact, "X.Lab.Example.com");
        assertRoutedTo(outer, "lab.example.com");
        assertRoutedTo(outer, "a.b.example.com");
    }

    @Test
    void unknownNameAndMissingNameGetAnUnrecognizedNameAlert() throws Exception {
        device("pi", "pi.example.com");
        for (String name : new String[] {"other.example.com", null}) {
            try (Socket client = connect(gateway.tlsAddress())) {
                client.getOutputStream().write(clientHello(name));
                assertEquals("15030300020270", ByteBufUtil.hexDump(client.getInputStream().readAllBytes()),
                        "fatal unrecognized_name alert, then close, for " + name);
            }
        }
    }

    @Test
    void httpRequestIsRoutedByHostAndReplayedUnchanged() throws Exception {
        RawDevice pi = device("pi", "pi.example.com");
        RawDevice other = device("other", "other.example.com");
        String request = "GET /status HTTP/1.1\r\nUser-Agent: test\r\nHOST: Pi.Example.com:8080\r\n\r\n"
                + "GET /pipelined HTTP/1.1\r\nHost: other.example.com\r\n\r\n";
        try (Socket client = connect(gateway.httpAddress())) {
            client.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            assertConnection(pi, "http", "pi.example.com", gateway.httpAddress().getPort());
            // routing 3.4: the connection is routed once, by its first request
            assertEquals(request, new String(pi.readData(request.length()), StandardCharsets.US_ASCII));
            assertNull(other.received.poll());
        }
    }

    @Test
    void aBodyWithBareLineFeedsArrivingWithItsHeadIsRelayedUnchecked() throws Exception {
        RawDevice pi = device("pi", "pi.example.com");
        // routing 3.5 applies to the head only: a POST body (binary, or text with LF endings) in the head's
        // first read was answered 400 "bare LF" (found by the cluster's tests with a 256 KiB random body)
        String request = "POST /upload HTTP/1.1\r\nHost: pi.example.com\r\nContent-Length: 12\r\n\r\n"
                + "line\nmore\r\n";
        try (Socket client = connect(gateway.httpAddress())) {
            client.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            assertConnection(pi, "http", "pi.example.com", gateway.httpAddress().getPort());
            assertEquals(request, new String(pi.readData(request.length()), StandardCharsets.US_ASCII));
        }
    }

    @Test
    void unknownHostGets502AndMalformedRequestsGet400() throws Exception {
        device("pi", "pi.example.com");
        String unknown = httpExchange("GET / HTTP/1.1\r\nHost: nobody.example.com\r\n\r\n");
        assertTrue(unknown.startsWith("HTTP/1.1 502 "), unknown);
        assertFalse(unknown.contains("nobody"), "limits 4.4: the Host is not echoed: " + unknown);
        // routing 3.5: bare LF (at once, not after the 408), bare CR, whitespace before a header's colon
        assertTrue(httpExchange("GET / HTTP/1.1\nHost: pi.example.com\n\n").matches("(?s)HTTP/1.1 400 .*bare LF.*"));
        assertTrue(httpExchange("GET / HTTP/1.1\r\nHost: pi.example.com\r\nX: a\rb\r\n\r\n")
                .matches("(?s)HTTP/1.1 400 .*bare CR.*"));
        assertTrue(httpExchange("GET / HTTP/1.1\r\nHost : pi.example.com\r\n\r\n")
                .matches("(?s)HTTP/1.1 400 .*colon.*"));
        assertTrue(httpExchange("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n").matches("(?s)HTTP/1.1 400 .*Host.*"));
        assertTrue(httpExchange("GET / HTTP/1.1\r\nHost: a.example.com\r\nHost: b.example.com\r\n\r\n")
                .matches("(?s)HTTP/1.1 400 .*more than one Host.*"));
        assertTrue(httpExchange("BREW\r\n\r\n").matches("(?s)HTTP/1.1 400 .*request line.*"));
        assertTrue(httpExchange("GET / HTTP/1.1\r\nX: " + "y".repeat(HttpHostRouter.MAX_HEAD) + "\r\n\r\n")
                .startsWith("HTTP/1.1 431 "));
    }

    @Test
    void devicesSharingANameTakeTurnsAndTheOtherServesAtOnceWhenOneLeaves() throws Exception {
        RawDevice first = device("first", "shared.example.com");
        RawDevice second = device("second", "shared.example.com");
        assertRoutedTo(first, "shared.example.com");
        assertRoutedTo(second, "shared.example.com");
        first.close();
        await().atMost(10, TimeUnit.SECONDS).until(() -> gateway.deviceCount() == 1); // the gateway saw it go
        devices.remove(first);
        assertRoutedTo(second, "shared.example.com");
        assertRoutedTo(second, "shared.example.com");
    }

    @Test
    void nameTooLongForAStreamHeaderIsRefusedAtGrant() throws Exception {
        // routing 1.3: more than 179 characters do not fit a connection header next to the longest IPv6 address
        String fits = "a".repeat(63) + '.' + "b".repeat(63) + '.' + "c".repeat(47) + ".com";
        String tooLong = "x." + fits;
        RawDevice device = new RawDevice(group, gateway.deviceAddress(), secret);
        devices.add(device);
        Grant grant = device.authenticate("long", List.of(), List.of(fits, tooLong));
        assertEquals(List.of(fits), grant.domains());
        assertEquals(tooLong, grant.refused().get(0).domain());
        assertEquals("E_NAME_TOO_LONG", grant.refused().get(0).code());
        assertTrue(grant.refused().get(0).message().contains("at most 179"), grant.toString());
    }

    // ---- helpers ----------------------------------------------------------------------------------------

    private RawDevice device(String id, String domain) throws Exception {
        RawDevice device = new RawDevice(group, gateway.deviceAddress(), secret);
        devices.add(device);
        Grant grant = device.authenticate(id, List.of(), List.of(domain));
        assertEquals(List.of(domain), grant.domains(), grant.toString());
        return device;
    }

    /** Opens a TLS connection for {@code name} and checks that {@code device}, and no other, is asked for it. */
    private void assertRoutedTo(RawDevice device, String name) throws Exception {
        try (Socket client = connect(gateway.tlsAddress())) {
            client.getOutputStream().write(clientHello(name));
            assertConnection(device, "https", name.toLowerCase(), gateway.tlsAddress().getPort());
            device.nextStreamMessage().release(); // the ClientHello
        }
        MproxyMessage end = device.nextStreamMessage();
        assertEquals(MessageType.END, end.type());
        end.release();
        for (RawDevice other : devices) {
            if (other != device) {
                assertNull(other.received.poll(), "only " + name + "'s device hears of it");
            }
        }
    }

    private static void assertConnection(RawDevice device, String service, String name, int port)
            throws InterruptedException {
        MproxyMessage connection = device.nextStreamMessage();
        try {
            assertEquals(MessageType.CONNECTION, connection.type());
            assertEquals(service, connection.service());
            assertEquals(name, connection.name());
            assertEquals(Integer.toString(port), connection.servicePort());
        } finally {
            connection.release();
        }
    }

    private String httpExchange(String request) throws IOException {
        try (Socket client = connect(gateway.httpAddress())) {
            client.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            return new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static Socket connect(InetSocketAddress address) throws IOException {
        Socket client = new Socket(InetAddress.getLoopbackAddress(), address.getPort());
        client.setSoTimeout(10_000);
        return client;
    }

    /** The first flight of a JDK TLS client for {@code name} (no SNI when null). */
    private static byte[] clientHello(String name) throws Exception {
        SSLEngine engine = SSLContext.getDefault().createSSLEngine(name, 443);
        engine.setUseClientMode(true);
        SSLParameters parameters = engine.getSSLParameters();
        parameters.setServerNames(name == null ? List.<SNIServerName>of() : List.of(new SNIHostName(name)));
        engine.setSSLParameters(parameters);
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(ByteBuffer.allocate(0), out);
        return Arrays.copyOf(out.array(), out.position());
    }

    /** The handshake bytes of one TLS record re-framed into records of at most {@code size} bytes each. */
    private static byte[] inRecordsOf(byte[] record, int size) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int at = 5; at < record.length; at += size) {
            int n = Math.min(size, record.length - at);
            out.write(record[0]);
            out.write(record[1]);
            out.write(record[2]);
            out.write(n >> 8);
            out.write(n);
            out.write(record, at, n);
        }
        return out.toByteArray();
    }
}
