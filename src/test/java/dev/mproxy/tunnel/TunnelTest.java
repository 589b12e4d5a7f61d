package dev.mproxy.tunnel;

import static dev.mproxy.tunnel.TunnelFixture.closedPort;
import static dev.mproxy.tunnel.TunnelFixture.connect;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mproxy.protocol.MessageType;
import dev.mproxy.protocol.MproxyMessage;
import dev.mproxy.protocol.StreamAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The tunnel end to end over real loopback sockets (protocol-spec/streams.md). */
@Timeout(60)
class TunnelTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TunnelFixture fixture;
    private final ExecutorService clients = Executors.newCachedThreadPool();

    @BeforeEach
    void start() throws InterruptedException {
        fixture = new TunnelFixture(TunnelLimits.DEFAULT);
    }

    @AfterEach
    void stop() {
        clients.shutdownNow();
        fixture.close();
    }

    @Test
    void echoesThroughTheTunnel() throws Exception {
        InetSocketAddress port = fixture.publicPort(fixture.echoService());
        try (Socket client = connect(port)) {
            client.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
            assertEquals("hello", new String(client.getInputStream().readNBytes(5), StandardCharsets.US_ASCII));
        }
    }

    @Test
    void parallelStreamsArriveIntactBothWays() throws Exception {
        InetSocketAddress port = fixture.publicPort(fixture.echoService());
        Random random = new Random(42);
        List<Future<?>> streams = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            byte[] payload = new byte[1 + random.nextInt(2 * 1024 * 1024)];
            random.nextBytes(payload);
            long seed = random.nextLong();
            streams.add(clients.submit(() -> {
                try (Socket client = connect(port)) {
                    Future<byte[]> echoed = clients.submit(() -> client.getInputStream().readAllBytes());
                    writeInRandomChunks(client.getOutputStream(), payload, new Random(seed));
                    client.shutdownOutput(); // the echo service half-closes back after our EOF
                    assertArrayEquals(sha256(payload), sha256(echoed.get(30, TimeUnit.SECONDS)));
                }
                return null;
            }));
        }
        for (Future<?> stream : streams) {
            stream.get(50, TimeUnit.SECONDS);
        }
    }

    @Test
    void halfCloseLetsTheReplyFlowAfterTheClientsEof() throws Exception {
        // The service answers only after its input ended: the reply must still reach the half-closed client.
        InetSocketAddress service = fixture.service(() -> new ChannelInboundHandlerAdapter() {
            private long received;

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                received += ((ByteBuf) msg).readableBytes();
                ((ByteBuf) msg).release();
            }

            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                if (evt instanceof ChannelInputShutdownEvent) {
                    ctx.writeAndFlush(TunnelFixture.ascii("got " + received + " bytes"))
                            .addListener(f -> ctx.close());
                }
            }
        });
        InetSocketAddress port = fixture.publicPort(service);
        try (Socket client = connect(port)) {
            client.getOutputStream().write(new byte[100_000]);
            client.shutdownOutput();
            assertEquals("got 100000 bytes", new String(client.getInputStream().readAllBytes(),
                    StandardCharsets.US_ASCII));
        }
    }

    @Test
    void refusedLocalConnectionClosesThePublicClient() throws Exception {
        InetSocketAddress port = fixture.publicPort(closedPort());
        try (Socket client = connect(port)) {
            assertEquals(-1, client.getInputStream().read(), "closed, with nothing sent");
        } catch (java.net.SocketException reset) {
            // a reset is a close too
        }
    }

    @Test
    void closingTheTunnelClosesItsPublicConnectionsAtOnce() throws Exception {
        InetSocketAddress port = fixture.publicPort(fixture.echoService());
        try (Socket client = connect(port)) {
            client.getOutputStream().write(1);
            assertEquals(1, client.getInputStream().read());
            fixture.gatewayTunnel.close().sync();
            try {
                assertEquals(-1, client.getInputStream().read());
            } catch (java.net.SocketException reset) {
                // reset is fine: the point is that it does not hang
            }
        }
    }

    @Test
    void stalledReaderOnOneStreamDoesNotStallAnother() throws Exception {
        // A service that sends up to 256 MiB to whoever connects; the first client never reads it.
        AtomicLong sent = new AtomicLong();
        InetSocketAddress firehose = fixture.service(() -> new ChannelInboundHandlerAdapter() {

            @Override
            public void channelActive(ChannelHandlerContext ctx) {
                pump(ctx);
            }

            @Override
            public void channelWritabilityChanged(ChannelHandlerContext ctx) {
                pump(ctx);
            }

            private void pump(ChannelHandlerContext ctx) {
                while (ctx.channel().isWritable() && sent.get() < 256 * 1024 * 1024) {
                    ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[64 * 1024]));
                    sent.addAndGet(64 * 1024);
                }
            }
        });
        InetSocketAddress stalledPort = fixture.publicPort(firehose);
        InetSocketAddress echoPort = fixture.publicPort(fixture.echoService());
        try (Socket stalled = connect(stalledPort)) {
            stalled.getInputStream().read(); // it flows, then we stop reading
            byte[] payload = new byte[4 * 1024 * 1024];
            new Random(7).nextBytes(payload);
            try (Socket other = connect(echoPort)) {
                Future<byte[]> echoed = clients.submit(() -> other.getInputStream().readAllBytes());
                other.getOutputStream().write(payload);
                other.shutdownOutput();
                assertArrayEquals(sha256(payload), sha256(echoed.get(30, TimeUnit.SECONDS)));
            }
            // pause reached the device and it stopped reading the firehose: what left the service is what
            // the kernel buffers on the way hold plus each side's bounded backlog, far below 256 MiB
            assertTrue(sent.get() < 48L * 1024 * 1024, "firehose sent " + sent.get() + " bytes");
        }
    }

    @Test
    void peerThatIgnoresPauseLosesOnlyThatStream() throws Exception {
        fixture.close();
        fixture = new TunnelFixture(new TunnelLimits(TunnelLimits.DEFAULT.streamWaterMark(), 2 * 1024 * 1024,
                TunnelLimits.DEFAULT.maxStreams()));
        // The local service never reads, so the device's socket backs up; the raw peer ignores pause.
        InetSocketAddress sink = fixture.service(() -> new ChannelInboundHandlerAdapter() {
            @Override
            public void channelActive(ChannelHandlerContext ctx) {
                ctx.channel().config().setAutoRead(false);
            }
        });
        fixture.targets.put(4001, sink);
        fixture.targets.put(4002, fixture.echoService());
        StreamAddress flooder = new StreamAddress("IPv4", "203.0.113.9", "50010");
        StreamAddress polite = new StreamAddress("IPv4", "203.0.113.9", "50011");
        try (RawPeer peer = new RawPeer((InetSocketAddress) fixture.deviceListener.localAddress())) {
            peer.send(MproxyMessage.connection(flooder, "tcp", "4001", ""));
            CompletableFuture<List<MessageType>> replies = CompletableFuture.supplyAsync(() -> {
                List<MessageType> seen = new ArrayList<>();
                try {
                    while (!seen.contains(MessageType.ERROR)) {
                        MproxyMessage m = peer.receive();
                        seen.add(m.type());
                        if (m.type() == MessageType.ERROR) {
                            assertTrue(m.content().toString(StandardCharsets.UTF_8).contains(
                                    StreamErrors.PAUSE_IGNORED), m.content().toString(StandardCharsets.UTF_8));
                        }
                        m.release();
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                return seen;
            }, clients);
            byte[] chunk = new byte[64 * 1024];
            for (int i = 0; i < 1024 && !replies.isDone(); i++) { // at most 64 MiB
                peer.send(MproxyMessage.data(flooder, "tcp", "4001", "", Unpooled.wrappedBuffer(chunk)));
            }
            List<MessageType> seen = replies.get(30, TimeUnit.SECONDS);
            assertEquals(MessageType.PAUSE, seen.get(0), "pause comes first: " + seen);
            assertEquals(MessageType.ERROR, seen.get(seen.size() - 1));

            // the same tunnel still carries other streams
            peer.send(MproxyMessage.connection(polite, "tcp", "4002", ""));
            peer.send(MproxyMessage.data(polite, "tcp", "4002", "", TunnelFixture.ascii("still here")));
            MproxyMessage echo = peer.receive();
            try {
                assertEquals(MessageType.DATA, echo.type(), "no E_NO_CONN for the failed stream's stragglers");
                assertEquals(polite, echo.address());
                assertEquals("still here", echo.content().toString(StandardCharsets.US_ASCII));
            } finally {
                echo.release();
            }
        }
    }

    @Test
    void peerPausedWhileConnectingIsResumedOnceConnected() throws Exception {
        // Data past the high water mark arrives while the local connection is still opening (streams 3.4), so
        // the device pauses the peer; once connected and drained, the peer is resumed.
        fixture.targets.put(4003, fixture.echoService());
        CompletableFuture<Void> gate = new CompletableFuture<>();
        fixture.connectGate = gate;
        StreamAddress client = new StreamAddress("IPv4", "203.0.113.9", "50020");
        try (RawPeer peer = new RawPeer((InetSocketAddress) fixture.deviceListener.localAddress())) {
            peer.send(MproxyMessage.connection(client, "tcp", "4003", ""));
            byte[] chunk = new byte[64 * 1024];
            for (int i = 0; i < 5; i++) { // 320 KiB, over the 256 KiB high water mark
                peer.send(MproxyMessage.data(client, "tcp", "4003", "", Unpooled.wrappedBuffer(chunk)));
            }
            MproxyMessage pause = peer.receive();
            assertEquals(MessageType.PAUSE, pause.type());
            pause.release();
            gate.complete(null);
            List<MessageType> seen = new ArrayList<>();
            while (!seen.contains(MessageType.RESUME)) {
                MproxyMessage m = peer.receive();
                seen.add(m.type());
                m.release();
            }
        }
    }

    @Test
    void connectFailureIsSentBackAsNodeStyleError() throws Exception {
        InetSocketAddress refused = closedPort();
        fixture.targets.put(4000, refused);
        StreamAddress client = new StreamAddress("IPv4", "203.0.113.9", "50000");
        try (RawPeer peer = new RawPeer((InetSocketAddress) fixture.deviceListener.localAddress())) {
            peer.send(MproxyMessage.connection(client, "tcp", "4000", ""));
            MproxyMessage error = peer.receive();
            try {
                assertEquals(MessageType.ERROR, error.type());
                assertEquals(client, error.address());
                JsonNode body = JSON.readTree(error.content().toString(StandardCharsets.UTF_8));
                assertEquals("ECONNREFUSED", body.get("code").textValue());
                assertEquals("connect ECONNREFUSED 127.0.0.1:" + refused.getPort(), body.get("message").textValue());
            } finally {
                error.release();
            }
        }
    }

    @Test
    void dataForAnUnknownStreamIsAnsweredWithNoConnNotANewConnection() throws Exception {
        StreamAddress client = new StreamAddress("IPv4", "203.0.113.9", "50001");
        try (RawPeer peer = new RawPeer((InetSocketAddress) fixture.deviceListener.localAddress())) {
            peer.send(MproxyMessage.data(client, "tcp", "4000", "", TunnelFixture.ascii("stray")));
            MproxyMessage error = peer.receive();
            try {
                assertEquals(MessageType.ERROR, error.type());
                assertTrue(error.content().toString(StandardCharsets.UTF_8).contains("\"code\":\"E_NO_CONN\""));
            } finally {
                error.release();
            }
        }
    }

    @Test
    void unmappedPortIsAnErrorNamingThePort() throws Exception {
        StreamAddress client = new StreamAddress("IPv6", "2001:db8::7", "50002");
        try (RawPeer peer = new RawPeer((InetSocketAddress) fixture.deviceListener.localAddress())) {
            peer.send(MproxyMessage.connection(client, "tcp", "4999", ""));
            MproxyMessage error = peer.receive();
            try {
                JsonNode body = JSON.readTree(error.content().toString(StandardCharsets.UTF_8));
                assertEquals(StreamErrors.NO_TARGET, body.get("code").textValue());
                assertEquals("no local service is mapped to tcp port 4999", body.get("message").textValue());
            } finally {
                error.release();
            }
        }
    }

    @Test
    void errorAfterThePeersEndWhileTheLocalConnectIsPendingLosesNoByte() throws Exception {
        // streams 3.4, 3.6 (issue 12): the device pauses the upload at 256 KiB held while its local connect is
        // pending; telebit's relay has sent the upload and its end, forgets the stream, and answers that pause with
        // E_NO_CONN before the connect completes. Every byte still reaches the service.
        SlowService service = new SlowService();
        service.startReading();
        fixture.targets.put(4005, service.address);
        CompletableFuture<Void> gate = new CompletableFuture<>();
        fixture.connectGate = gate;
        byte[] upload = randomBytes(5 * 1024 * 1024, 11);
        StreamAddress client = new StreamAddress("IPv4", "203.0.113.9", "50040");
        try (RawPeer relay = new RawPeer((InetSocketAddress) fixture.deviceListener.localAddress())) {
            uploadAndEndThenAnswerThePause(relay, client, "4005", upload);
            gate.complete(null);
            assertEveryByte(upload, service.received.get(30, TimeUnit.SECONDS));

            // streams 4.5: no resume went out for the ended direction when the stream was joined; the next message
            // on the tunnel is the probe's echo
            fixture.targets.put(4006, fixture.echoService());
            StreamAddress probe = new StreamAddress("IPv4", "203.0.113.9", "50041");
            relay.send(MproxyMessage.connection(probe, "tcp", "4006", ""),
                    MproxyMessage.data(probe, "tcp", "4006", "", TunnelFixture.ascii("probe")));
            MproxyMessage next = relay.receive();
            try {
                assertEquals(MessageType.DATA, next.type(), next.toString());
                assertEquals(probe, next.address());
            } finally {
                next.release();
            }
        }
    }

    @Test
    void errorAfterThePeersEndLetsASlowServiceReadEveryByte() throws Exception {
        // streams 3.6 (issue 12): the same with the service connected but slow: the device pauses once the service's
        // socket backs up (streams 4.1), and the E_NO_CONN that answers that pause after the relay's end must not
        // reset the socket with megabytes still queued for it
        SlowService service = new SlowService();
        fixture.targets.put(4007, service.address);
        byte[] upload = randomBytes(8 * 1024 * 1024, 12); // more than the kernel's buffers on the way can hold
        StreamAddress client = new StreamAddress("IPv4", "203.0.113.9", "50042");
        try (RawPeer relay = new RawPeer((InetSocketAddress) fixture.deviceListener.localAddress())) {
            uploadAndEndThenAnswerThePause(relay, client, "4007", upload);
            service.startReading();
            assertEveryByte(upload, service.received.get(30, TimeUnit.SECONDS));
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------------

    /**
     * What telebit's relay does with a public client that uploads and closes at once: opens the stream, sends the
     * upload and its {@code end}, and, having forgotten the stream at that end, answers the device's {@code pause}
     * with {@code error} {@code E_NO_CONN} (telebit.md). Returns once the device has handled them.
     */
    private static void uploadAndEndThenAnswerThePause(RawPeer relay, StreamAddress client, String port, byte[] upload)
            throws IOException {
        relay.send(MproxyMessage.connection(client, "tcp", port, ""));
        for (int at = 0; at < upload.length; at += 64 * 1024) {
            relay.send(MproxyMessage.data(client, "tcp", port, "", Unpooled.wrappedBuffer(upload, at,
                    Math.min(64 * 1024, upload.length - at))));
        }
        MproxyMessage pause = relay.receive();
        try {
            assertEquals(MessageType.PAUSE, pause.type(), pause.toString());
            assertEquals(client, pause.address());
        } finally {
            pause.release();
        }
        relay.send(MproxyMessage.end(client, port, ""),
                MproxyMessage.error(client, port, "", "no matching connection", StreamErrors.NO_CONN));
        // the device handles messages in order: once it answers data for an id it never had (streams 2.3), it has
        // handled the end and the error, as it would have before a slow connect completes. Before that, flow
        // control may still have gone on for the upload: the socket's backlog can drain into the kernel's buffers
        StreamAddress stray = new StreamAddress("IPv4", "203.0.113.9", "1");
        relay.send(MproxyMessage.data(stray, "tcp", port, "", TunnelFixture.ascii("stray")));
        while (true) {
            MproxyMessage m = relay.receive();
            try {
                if (m.type() == MessageType.ERROR && m.address().equals(stray)) {
                    return;
                }
                assertEquals(client, m.address(), m.toString());
                assertTrue(m.type() == MessageType.PAUSE || m.type() == MessageType.RESUME, m.toString());
            } finally {
                m.release();
            }
        }
    }

    /**
     * A local service that reads nothing until {@link #startReading()}, then everything: {@link #received} is
     * completed with what it read once its input ends, or with what it had when its connection closed or was reset.
     */
    private final class SlowService {
        final CompletableFuture<byte[]> received = new CompletableFuture<>();
        final InetSocketAddress address;
        private final CompletableFuture<Void> reading = new CompletableFuture<>();

        SlowService() throws InterruptedException {
            address = fixture.service(() -> new ChannelInboundHandlerAdapter() {
                private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

                @Override
                public void channelActive(ChannelHandlerContext ctx) {
                    ctx.channel().config().setAutoRead(false);
                    reading.thenRun(() -> ctx.channel().eventLoop().execute(
                            () -> ctx.channel().config().setAutoRead(true)));
                }

                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    ByteBuf b = (ByteBuf) msg;
                    bytes.write(ByteBufUtil.getBytes(b), 0, b.readableBytes());
                    b.release();
                }

                @Override
                public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                    if (evt instanceof ChannelInputShutdownEvent) {
                        received.complete(bytes.toByteArray());
                        ctx.close();
                    }
                }

                @Override
                public void channelInactive(ChannelHandlerContext ctx) {
                    received.complete(bytes.toByteArray()); // closed or reset before its input ended
                }
            });
        }

        void startReading() {
            reading.complete(null);
        }
    }

    private static void assertEveryByte(byte[] sent, byte[] received) throws NoSuchAlgorithmException {
        assertEquals(sent.length, received.length, "bytes the service received");
        assertArrayEquals(sha256(sent), sha256(received), "SHA-256 of what the service received");
    }

    private static byte[] randomBytes(int length, long seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static void writeInRandomChunks(OutputStream out, byte[] payload, Random random) throws IOException {
        for (int at = 0; at < payload.length; ) {
            int n = Math.min(payload.length - at, 1 + random.nextInt(128 * 1024));
            out.write(payload, at, n);
            at += n;
        }
        out.flush();
    }

    private static byte[] sha256(byte[] bytes) throws NoSuchAlgorithmException {
        return MessageDigest.getInstance("SHA-256").digest(bytes);
    }
}
