package dev.mproxy.tunnel;

import static dev.mproxy.tunnel.TunnelFixture.closedPort;
import static dev.mproxy.tunnel.TunnelFixture.connect;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mproxy.connector.LocalService;
import dev.mproxy.connector.Mappings;
import dev.mproxy.connector.ProxyProtocol;
import dev.mproxy.protocol.MessageType;
import dev.mproxy.protocol.MproxyMessage;
import dev.mproxy.protocol.StreamAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.util.NetUtil;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The device opens each stream to the local service its mappings name, by service and port or name, and writes
 * the PROXY header first when the mapping asks for it (protocol-spec/device-mappings.md). Real loopback sockets:
 * public clients, the gateway's and the device's tunnel ends, local services.
 */
@Timeout(60)
class DeviceMappingsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TunnelFixture fixture;

    @BeforeEach
    void start() throws InterruptedException {
        fixture = new TunnelFixture(TunnelLimits.DEFAULT);
    }

    @AfterEach
    void stop() {
        fixture.close();
    }

    @Test
    void streamsReachTheServiceMappedToTheirServiceAndExactNameOrWildcard() throws Exception {
        // mappings 1.1: the service picks the table; 2.2: the exact name before any wildcard
        fixture.mappings = Mappings.builder()
                .https("App.Example.com", plain(echo("https-app")))
                .https("*.example.com", plain(echo("https-wild")))
                .http("app.example.com", plain(echo("http-app")))
                .build();
        assertEquals("https-app|hello", exchange(fixture.publicPort("https", "app.example.com"), "hello"));
        assertEquals("https-wild|hello", exchange(fixture.publicPort("https", "pi.example.com"), "hello"));
        assertEquals("http-app|GET /", exchange(fixture.publicPort("http", "app.example.com"), "GET /"));
    }

    @Test
    void longestWildcardWinsAndNoWildcardCoversItsBase() throws Exception {
        // mappings 2.2 and 2.3
        fixture.mappings = Mappings.builder()
                .http("*.example.com", plain(echo("outer")))
                .http("*.lab.example.com", plain(echo("lab")))
                .build();
        assertEquals("lab|x", exchange(fixture.publicPort("http", "a.lab.example.com"), "x"));
        assertEquals("lab|x", exchange(fixture.publicPort("http", "a.b.lab.example.com"), "x"), "any depth");
        assertEquals("outer|x", exchange(fixture.publicPort("http", "lab.example.com"), "x"));
        assertEquals("outer|x", exchange(fixture.publicPort("http", "a.b.example.com"), "x"));
        assertPublicClientClosed(fixture.publicPort("http", "example.com"));
    }

    @Test
    void unmappedNameIsRefusedWithNoTargetAndThePublicClientIsClosed() throws Exception {
        // mappings 3.1
        fixture.mappings = Mappings.builder().https("app.example.com", plain(echo("app"))).build();
        assertPublicClientClosed(fixture.publicPort("https", "foo.example.com"));
        assertPublicClientClosed(fixture.publicPort("http", "app.example.com"));

        StreamAddress client = new StreamAddress("IPv4", "203.0.113.9", "50030");
        try (RawPeer gateway = new RawPeer(deviceAddress())) {
            gateway.send(MproxyMessage.connection(client, "https", "443", "foo.example.com"));
            assertError(gateway.receive(), client, StreamErrors.NO_TARGET,
                    "no local service is mapped to https name foo.example.com");
        }
    }

    @Test
    void proxyV1HeaderNamesThePublicClientThenTheStreamBytesFollowExactly() throws Exception {
        // mappings 4.1, 4.3, 4.4 through a real public client
        ProxiedService service = new ProxiedService();
        InetSocketAddress publicPort = fixture.publicPort("tcp", "");
        fixture.mappings = Mappings.builder()
                .tcp(publicPort.getPort(), new LocalService(service.address, ProxyProtocol.V1))
                .build();
        byte[] payload = payload("PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\n", 200_000); // bytes, not a second header
        try (Socket client = connect(publicPort)) {
            client.getOutputStream().write(payload);
            client.shutdownOutput();
            assertEquals("V1 PROXY TCP4 127.0.0.1 " + client.getLocalPort() + " -> 0.0.0.0 " + publicPort.getPort(),
                    service.header());
            assertArrayEquals(payload, service.bytes.get(20, TimeUnit.SECONDS));
        }
    }

    @Test
    void proxyV2HeaderPrecedesBytesThatArrivedWhileConnecting() throws Exception {
        // mappings 4.1 to 4.4: connection, data and end in one read, so the data waits for the local connect
        ProxiedService service = new ProxiedService();
        fixture.mappings = Mappings.builder()
                .https("*.example.com", new LocalService(service.address, ProxyProtocol.V2))
                .build();
        StreamAddress client = new StreamAddress("IPv6", "2001:db8::7", "50031");
        byte[] payload = payload("\u0016\u0003\u0001", 100_000); // shaped like a ClientHello's record head
        try (RawPeer gateway = new RawPeer(deviceAddress())) {
            gateway.send(MproxyMessage.connection(client, "https", "443", "app.example.com"),
                    MproxyMessage.data(client, "https", "443", "app.example.com", Unpooled.wrappedBuffer(payload)),
                    MproxyMessage.end(client, "443", "app.example.com"));
            assertEquals("V2 PROXY TCP6 2001:db8::7 50031 -> :: 443", service.header());
            assertArrayEquals(payload, service.bytes.get(20, TimeUnit.SECONDS));
        }
    }

    @Test
    void streamIdThatNoHeaderCanDescribeIsAProtocolErrorAndOpensNothing() throws Exception {
        // mappings 4.6
        ProxiedService service = new ProxiedService();
        fixture.mappings = Mappings.builder()
                .http("app.example.com", new LocalService(service.address, ProxyProtocol.V1))
                .build();
        StreamAddress client = new StreamAddress("IPv4", "2001:db8::7", "50032");
        try (RawPeer gateway = new RawPeer(deviceAddress())) {
            gateway.send(MproxyMessage.connection(client, "http", "80", "app.example.com"));
            assertError(gateway.receive(), client, StreamErrors.PROTOCOL, "cannot write a PROXY v1 header for "
                    + "IPv4,2001:db8::7,50032 -> http:80 (app.example.com): invalid IPv4 address: 2001:db8::7");
        }
        assertEquals(0, service.connections.get(), "the error is sent before any connect");
    }

    @Test
    void refusedLocalServiceBehindAProxyHeaderIsANodeStyleError() throws Exception {
        // streams 3.4 with a header built and never written: the leak detector checks that it was released
        InetSocketAddress closed = closedPort();
        fixture.mappings = Mappings.builder()
                .https("app.example.com", new LocalService(closed, ProxyProtocol.V2))
                .build();
        StreamAddress client = new StreamAddress("IPv4", "203.0.113.9", "50033");
        try (RawPeer gateway = new RawPeer(deviceAddress())) {
            gateway.send(MproxyMessage.connection(client, "https", "443", "app.example.com"));
            assertError(gateway.receive(), client, StreamErrors.CONNECTION_REFUSED,
                    "connect ECONNREFUSED 127.0.0.1:" + closed.getPort());
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------------

    /**
     * A local service behind a PROXY protocol header: Netty's decoder reads the header, then every byte after it
     * is kept until the input ends. Serves one connection.
     */
    private final class ProxiedService {
        final CompletableFuture<HAProxyMessage> header = new CompletableFuture<>();
        final CompletableFuture<byte[]> bytes = new CompletableFuture<>();
        final AtomicInteger connections = new AtomicInteger();
        final InetSocketAddress address;

        ProxiedService() throws InterruptedException {
            address = fixture.service(() -> new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel ch) {
                    connections.incrementAndGet();
                    ch.pipeline().addLast(new HAProxyMessageDecoder(), new Collector());
                }
            });
        }

        /**
         * The header received, as {@code V1 PROXY TCP4 127.0.0.1 50010 -> 0.0.0.0 443} with addresses in their
         * RFC 5952 form; released here.
         */
        String header() throws Exception {
            HAProxyMessage h = header.get(20, TimeUnit.SECONDS);
            try {
                return h.protocolVersion() + " " + h.command() + ' ' + h.proxiedProtocol() + ' '
                        + NetUtil.toAddressString(InetAddress.getByName(h.sourceAddress())) + ' ' + h.sourcePort()
                        + " -> " + NetUtil.toAddressString(InetAddress.getByName(h.destinationAddress())) + ' '
                        + h.destinationPort();
            } finally {
                h.release();
            }
        }

        private final class Collector extends ChannelInboundHandlerAdapter {
            private final ByteArrayOutputStream received = new ByteArrayOutputStream();

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof HAProxyMessage) {
                    if (!header.complete((HAProxyMessage) msg)) {
                        ((HAProxyMessage) msg).release();
                    }
                    return;
                }
                ByteBuf buf = (ByteBuf) msg;
                try {
                    buf.readBytes(received, buf.readableBytes());
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                } finally {
                    buf.release();
                }
            }

            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                if (evt instanceof ChannelInputShutdownEvent) {
                    bytes.complete(received.toByteArray());
                    ctx.close();
                }
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                header.completeExceptionally(cause);
                bytes.completeExceptionally(cause);
                ctx.close();
            }
        }
    }

    /** A local service that sends {@code tag|}, then echoes. */
    private InetSocketAddress echo(String tag) throws InterruptedException {
        return fixture.echoService(tag + '|');
    }

    private static LocalService plain(InetSocketAddress address) {
        return new LocalService(address, ProxyProtocol.NONE);
    }

    private InetSocketAddress deviceAddress() {
        return (InetSocketAddress) fixture.deviceListener.localAddress();
    }

    /** Sends {@code request}, half-closes, and returns all the reply. */
    private static String exchange(InetSocketAddress publicPort, String request) throws IOException {
        try (Socket client = connect(publicPort)) {
            client.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            client.shutdownOutput();
            return new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    private static void assertPublicClientClosed(InetSocketAddress publicPort) throws IOException {
        try (Socket client = connect(publicPort)) {
            assertEquals(-1, client.getInputStream().read(), "closed, with nothing sent");
        } catch (SocketException reset) {
            // a reset is a close too
        }
    }

    private static void assertError(MproxyMessage m, StreamAddress client, String code, String message)
            throws IOException {
        try {
            assertEquals(MessageType.ERROR, m.type());
            assertEquals(client, m.address());
            JsonNode body = JSON.readTree(m.content().toString(StandardCharsets.UTF_8));
            assertEquals(code, body.get("code").textValue());
            assertEquals(message, body.get("message").textValue());
        } finally {
            m.release();
        }
    }

    /** {@code head} then {@code length} random bytes. */
    private static byte[] payload(String head, int length) {
        byte[] bytes = new byte[head.length() + length];
        byte[] h = head.getBytes(StandardCharsets.ISO_8859_1);
        System.arraycopy(h, 0, bytes, 0, h.length);
        byte[] random = new byte[length];
        new Random(length).nextBytes(random);
        System.arraycopy(random, 0, bytes, h.length, length);
        return bytes;
    }

}
