package dev.mproxy.relay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mproxy.files.SecureFiles;
import dev.mproxy.record.Direction;
import dev.mproxy.record.RecordedEvent;
import dev.mproxy.record.RecordedEvent.Kind;
import dev.mproxy.record.RecordingFormat;
import dev.mproxy.record.RecordingReader;
import dev.mproxy.record.RecordingWriter;
import dev.mproxy.record.SessionInfo;
import dev.mproxy.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.DefaultEventExecutor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The recording tap (protocol-spec/recording.md §6): bytes reach the writer as the buffer's own memory and the
 * tap's reference is released on every path; behind a relay on loopback sockets, a slow recording bounds the
 * backlog (6.3), everything arrives once it catches up (6.1), and a failing one resets both sides without
 * forwarding a byte it did not record (6.4).
 */
@Timeout(60)
class RecordingTapTest {

    /** Each socket read takes at most this much: the relay can overshoot the high water mark by one read. */
    private static final int READ_SIZE = 64 * 1024;
    private static final int PUSHED = 32 * 1024 * 1024;
    private static final long WAIT_SECONDS = 30;

    private final EventLoopGroup loops = Transport.newGroup(1);
    private final EventLoop loop = loops.next();
    private final DefaultEventExecutor writerThread = new DefaultEventExecutor();
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    /** Opened after each test, so no writer stays stuck at it. */
    private final CountDownLatch gate = new CountDownLatch(1);

    @TempDir
    Path dir;

    @AfterEach
    void stop() throws Exception {
        gate.countDown();
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        threads.shutdownNow();
        loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        writerThread.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    // ---- the tap on its own: where the bytes go and when they are let go ------------------------------------

    @Test
    void writerGetsTheBuffersOwnMemoryAndTheTapLetsGoOnceWritten() throws Exception {
        // recording 6.2: no copy; a composite buffer arrives as its components, in order
        List<ByteBuffer[]> given = Collections.synchronizedList(new ArrayList<>());
        List<RecordedEvent> written = Collections.synchronizedList(new ArrayList<>());
        RecordingTap tap = tap(() -> new CapturingWriter(given, written));
        CompositeByteBuf content = ByteBufAllocator.DEFAULT.compositeDirectBuffer()
                .addComponent(true, direct("hello, "))
                .addComponent(true, direct("world"));
        long seq = onLoop(() -> tap.data(Direction.FROM_CLIENT, content));
        drainWriter();

        assertEquals(seq, tap.written());
        assertEquals(1, content.refCnt(), "the tap let go of its reference once the record was written");
        content.release();
        assertEquals(1, given.size());
        assertEquals(2, given.get(0).length, "one NIO buffer per component: nothing put together");
        assertTrue(given.get(0)[0].isDirect() && given.get(0)[1].isDirect(), "the buffer's own direct memory");
        assertEquals(List.of(RecordedEvent.data(Direction.FROM_CLIENT, written.get(0).micros(), ascii("hello, world"))),
                written);
    }

    @Test
    void textIsRecordedAsTextAndDataWithoutAWordAsBinary() throws Exception {
        // recording 6.7 and 3.3: the tap's user says which messages are text
        Path file = dir.resolve("text.mcrec");
        RecordingTap tap = tap(() -> RecordingFormat.MCREC.open(SecureFiles.createPrivateChannel(file), session()));
        ByteBuf text = direct("{\"action\":\"ping\"}");
        ByteBuf binary = direct("\u0000\u0001");
        ByteBuf binaryToo = direct("\u0002");
        onLoop(() -> {
            tap.opened();
            tap.data(Direction.FROM_CLIENT, text, true);
            tap.data(Direction.FROM_SERVER, binary, false);
            tap.data(Direction.FROM_SERVER, binaryToo);
            tap.close();
            return null;
        });
        drainWriter();
        release(text, binary, binaryToo);

        List<RecordedEvent> events = readAll(file);
        assertEquals(4, events.size());
        assertEquals(Kind.OPENED, events.get(0).kind());
        assertTrue(events.get(1).isText());
        assertEquals("{\"action\":\"ping\"}", new String(events.get(1).bytes(), StandardCharsets.US_ASCII));
        assertFalse(events.get(2).isText());
        assertFalse(events.get(3).isText());
    }

    @Test
    void messageWithoutBytesKeepsItsPlaceAndLeavesNoRecord() throws Exception {
        // recording 6.7: an empty message (a WebSocket frame can be one) is no DATA event, and no failure
        Path file = dir.resolve("empty");
        RecordingTap tap = tap(() -> RecordingFormat.NETRECORD.open(SecureFiles.createPrivateChannel(file), session()));
        ByteBuf before = direct("a");
        ByteBuf after = direct("b");
        long last = onLoop(() -> {
            tap.data(Direction.FROM_CLIENT, before);
            tap.data(Direction.FROM_CLIENT, Unpooled.EMPTY_BUFFER, true);
            long seq = tap.data(Direction.FROM_CLIENT, after);
            tap.close();
            return seq;
        });
        drainWriter();
        release(before, after);
        assertNull(tap.failure());
        assertEquals(last, tap.written());
        assertEquals(List.of("a", "b"), readAll(file).stream()
                .map(e -> new String(e.bytes(), StandardCharsets.US_ASCII)).toList());
    }

    @Test
    void bytesAreLetGoWhenTheirWriteFailsAndWhenTheRecordingHadFailedAlready() throws Exception {
        CompletableFuture<IOException> failed = new CompletableFuture<>();
        RecordingTap tap = tap(() -> new CapturingWriter(null, null) {
            @Override
            public void writeData(Direction from, long micros, boolean text, ByteBuffer... payload)
                    throws IOException {
                throw new IOException("no space left on device");
            }
        }, failed);
        ByteBuf failing = direct("fails");
        ByteBuf skipped = direct("never written");
        onLoop(() -> {
            tap.data(Direction.FROM_CLIENT, failing);
            tap.data(Direction.FROM_SERVER, skipped);
            return null;
        });
        drainWriter();
        assertEquals("no space left on device", failed.get(WAIT_SECONDS, TimeUnit.SECONDS).getMessage());
        assertEquals(0, tap.written());
        assertEquals(1, failing.refCnt(), "released after the failed write");
        assertEquals(1, skipped.refCnt(), "released without a write: the recording had failed");
        assertEquals(0, tap.backlog());
        release(failing, skipped);
    }

    @Test
    void bytesAreLetGoWhenTheFileCannotBeCreated() throws Exception {
        // recording 6.4: the file exists already; nothing is overwritten and nothing is kept
        Path file = Files.writeString(dir.resolve("taken"), "an older recording");
        CompletableFuture<IOException> failed = new CompletableFuture<>();
        RecordingTap tap = tap(() -> RecordingFormat.NETRECORD.open(SecureFiles.createPrivateChannel(file),
                session()), failed);
        ByteBuf content = direct("not recorded");
        onLoop(() -> tap.data(Direction.FROM_CLIENT, content));
        drainWriter();
        assertNotNull(failed.get(WAIT_SECONDS, TimeUnit.SECONDS));
        assertEquals(1, content.refCnt());
        content.release();
        assertEquals("an older recording", Files.readString(file));
    }

    @Test
    void closedTapRefusesDataWithoutTakingAReference() throws Exception {
        RecordingTap tap = tap(() -> new CapturingWriter(null, null));
        ByteBuf content = direct("too late");
        onLoop(() -> {
            tap.close();
            return null;
        });
        IllegalStateException refused = onLoop(() -> assertThrows(IllegalStateException.class,
                () -> tap.data(Direction.FROM_CLIENT, content)));
        assertEquals("recording tap is closed", refused.getMessage());
        assertEquals(1, content.refCnt());
        content.release();
    }

    @Test
    void bytesAreLetGoWhenTheWriterThreadHasStopped() throws Exception {
        DefaultEventExecutor stopped = new DefaultEventExecutor();
        stopped.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
        CompletableFuture<IOException> failed = new CompletableFuture<>();
        RecordingTap tap = new RecordingTap("stopped", loop, stopped, () -> new CapturingWriter(null, null),
                System.nanoTime());
        onLoop(() -> {
            tap.listener(listener(failed));
            return null;
        });
        ByteBuf content = direct("nobody to write it");
        onLoop(() -> tap.data(Direction.FROM_CLIENT, content));
        assertEquals("its writer thread has stopped", failed.get(WAIT_SECONDS, TimeUnit.SECONDS).getMessage());
        assertEquals(1, content.refCnt());
        assertEquals(0, tap.backlog());
        content.release();
        onLoop(() -> {
            tap.close(); // logs that the file is not finished; throws nothing
            return null;
        });
    }

    // ---- behind a relay, on loopback sockets ----------------------------------------------------------------

    @Test
    void slowRecordingHoldsTheBacklogUnderTheHighWaterMarkPlusOneRead() throws Exception {
        // recording 6.3. The relay checks the backlog after handing each read to the tap and stops reading both
        // sides once it is over the high water mark, so it overshoots by at most the read that crossed it:
        // READ_SIZE, as each socket read is at most that (FixedRecvByteBufAllocator) and a read burst stops at
        // the first read after autoRead is turned off.
        Run run = pushThroughSlowRecording(RecordingFormat.NETRECORD);
        assertTrue(run.maxBacklog > RecordingTap.HIGH_WATER_MARK,
                "the stuck writer let the backlog reach the high water mark: " + run.maxBacklog);
        assertTrue(run.maxBacklog <= RecordingTap.HIGH_WATER_MARK + READ_SIZE,
                "backlog " + run.maxBacklog + " (expected: at most " + (RecordingTap.HIGH_WATER_MARK + READ_SIZE) + ')');
        assertEquals(List.of(), run.readsAfterTheMark, "the relay stopped reading once past the high water mark");
        assertEquals(0, run.forwardedWhileStuck, "nothing was forwarded before it was recorded (6.1)");
    }

    @Test
    void onceTheWriterGoesOnEverythingArrivesAndTheRecordingIsWhatWasForwarded() throws Exception {
        // recording 6.1: the bytes recorded for a direction are the bytes forwarded
        Run run = pushThroughSlowRecording(RecordingFormat.MCREC);
        assertArrayEquals(pushed(), run.received, "the server got every byte the client sent");
        assertArrayEquals(run.received, run.recordedFromClient, "the recording holds exactly what was forwarded");
        assertNull(run.relay.failure());
        assertEquals(List.of(Kind.OPENED), run.events.stream().map(RecordedEvent::kind).limit(1).toList());
        assertEquals(List.of(Kind.ENDED, Kind.ENDED), run.events.stream().map(RecordedEvent::kind)
                .filter(k -> k == Kind.ENDED || k == Kind.FAILED).toList());
    }

    @Test
    void writerFailingMidStreamResetsBothSidesAndForwardsNothingUnrecorded() throws Exception {
        // recording 6.4: the recording stops, both sides are reset, nothing unrecorded reaches the server
        gate.countDown();
        Path file = dir.resolve("failing");
        long budget = 4L * 1024 * 1024 + 12_345;
        RecordingRelay relay = relay(() -> new SlowWriter(
                RecordingFormat.NETRECORD.open(SecureFiles.createPrivateChannel(file), session()), gate, budget));
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Future<Received> served = threads.submit(() -> receive(server, new AtomicLong()));
            relay.start(server);
            Future<String> client = threads.submit(() -> push(relay.address()));

            assertTrue(client.get(WAIT_SECONDS, TimeUnit.SECONDS).startsWith("reset"), "the client was reset");
            Received received = served.get(WAIT_SECONDS, TimeUnit.SECONDS);
            Relay finished = relay.finished.get(WAIT_SECONDS, TimeUnit.SECONDS);
            assertTrue(finished.failure().startsWith("recording failed: no space left on device"),
                    finished.failure());
            drainWriter();

            byte[] recorded = fromClient(readAll(file));
            assertTrue(recorded.length <= budget, "recorded " + recorded.length);
            assertArrayEquals(Arrays.copyOf(pushed(), recorded.length), recorded,
                    "the recording is what the client sent, up to the failure");
            assertTrue(received.bytes.length <= recorded.length,
                    "the server got " + received.bytes.length + " bytes, " + recorded.length + " were recorded");
            assertArrayEquals(Arrays.copyOf(recorded, received.bytes.length), received.bytes,
                    "every byte the server got is in the recording");
        }
    }

    // ---- the slow-recording run -----------------------------------------------------------------------------

    /** What a push through a stuck, then released, recording left. */
    private static final class Run {
        long maxBacklog;
        List<String> readsAfterTheMark;
        long forwardedWhileStuck;
        byte[] received;
        byte[] recordedFromClient;
        List<RecordedEvent> events;
        Relay relay;
    }

    /**
     * The client pushes {@link #PUSHED} bytes through a relay whose writer is stuck until the backlog passes the
     * high water mark; then the writer goes on, and the run ends once both sides have ended and the file is done.
     */
    private Run pushThroughSlowRecording(RecordingFormat format) throws Exception {
        Path file = dir.resolve("slow" + format.fileExtension());
        RecordingRelay relay = relay(() -> new SlowWriter(format.open(SecureFiles.createPrivateChannel(file),
                session()), gate, Long.MAX_VALUE));
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            AtomicLong forwarded = new AtomicLong();
            Future<Received> served = threads.submit(() -> receive(server, forwarded));
            relay.start(server);
            Future<String> client = threads.submit(() -> push(relay.address()));

            assertTrue(relay.passedHighWaterMark.await(WAIT_SECONDS, TimeUnit.SECONDS), "the backlog never grew");
            Run run = new Run();
            run.forwardedWhileStuck = forwarded.get();
            gate.countDown();

            assertEquals("done", client.get(WAIT_SECONDS, TimeUnit.SECONDS));
            run.received = served.get(WAIT_SECONDS, TimeUnit.SECONDS).bytes;
            run.relay = relay.finished.get(WAIT_SECONDS, TimeUnit.SECONDS);
            drainWriter(); // the relay closed the tap as it finished: the file is complete after this
            run.maxBacklog = relay.maxBacklog.get();
            run.readsAfterTheMark = relay.readsAfterTheMark;
            run.events = readAll(file);
            run.recordedFromClient = fromClient(run.events);
            return run;
        }
    }

    /** Sends {@link #pushed()} in 64 KiB writes, half-closes, reads to the end; "done", or "reset: ..." */
    private String push(InetSocketAddress relay) throws IOException {
        try (Socket s = new Socket(relay.getAddress(), relay.getPort())) {
            s.setSoTimeout((int) TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
            try {
                OutputStream out = s.getOutputStream();
                byte[] bytes = pushed();
                for (int at = 0; at < bytes.length; at += 64 * 1024) {
                    out.write(bytes, at, Math.min(64 * 1024, bytes.length - at));
                }
                s.shutdownOutput();
                return s.getInputStream().read() == -1 ? "done" : "unexpected bytes from the server";
            } catch (SocketException e) {
                return "reset: " + e.getMessage();
            }
        }
    }

    /** Reads one connection to its end (or reset), counting bytes as they come in. */
    private static Received receive(ServerSocket server, AtomicLong count) throws IOException {
        try (Socket s = server.accept()) {
            s.setSoTimeout((int) TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            InputStream in = s.getInputStream();
            byte[] chunk = new byte[64 * 1024];
            try {
                for (int n; (n = in.read(chunk)) != -1; ) {
                    bytes.write(chunk, 0, n);
                    count.addAndGet(n);
                }
            } catch (SocketException reset) {
                // a reset ends the connection too; what came before it counts
            }
            return new Received(bytes.toByteArray());
        }
    }

    private static final class Received {
        final byte[] bytes;

        Received(byte[] bytes) {
            this.bytes = bytes;
        }
    }

    private static byte[] pushedBytes;

    private static synchronized byte[] pushed() {
        if (pushedBytes == null) {
            pushedBytes = new byte[PUSHED];
            new Random(5).nextBytes(pushedBytes);
        }
        return pushedBytes;
    }

    // ---- a relay that records through a writer of the test's choosing ---------------------------------------

    private RecordingRelay relay(Callable<RecordingWriter> opener) {
        RecordingRelay relay = new RecordingRelay(opener);
        closeables.add(relay);
        return relay;
    }

    /**
     * One connection relayed to a server and recorded, wired as {@link RecordProxy} does it, with reads of at
     * most {@link #READ_SIZE} and a probe before each end that checks the tap's backlog right after every read.
     */
    private final class RecordingRelay implements AutoCloseable {
        final CompletableFuture<Relay> finished = new CompletableFuture<>();
        final CountDownLatch passedHighWaterMark = new CountDownLatch(1);
        final AtomicLong maxBacklog = new AtomicLong();
        final List<String> readsAfterTheMark = Collections.synchronizedList(new ArrayList<>());
        private final Callable<RecordingWriter> opener;
        private Channel listener;

        RecordingRelay(Callable<RecordingWriter> opener) {
            this.opener = opener;
        }

        void start(ServerSocket server) throws InterruptedException {
            InetSocketAddress target = new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
            listener = new ServerBootstrap().group(loops).channel(Transport.serverChannel())
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .childOption(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(READ_SIZE))
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel client) {
                            accept(client, target);
                        }
                    })
                    .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
        }

        InetSocketAddress address() {
            return (InetSocketAddress) listener.localAddress();
        }

        private void accept(SocketChannel client, InetSocketAddress target) {
            RecordingTap tap = new RecordingTap("relay", client.eventLoop(), writerThread, opener, System.nanoTime());
            tap.opened();
            client.pipeline().addLast(new BacklogProbe(tap));
            ChannelEnd clientEnd = ChannelEnd.of(client);
            new Bootstrap().group(client.eventLoop()).channel(Transport.socketChannel())
                    .option(ChannelOption.AUTO_READ, false)
                    .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(READ_SIZE))
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new BacklogProbe(tap));
                        }
                    })
                    .connect(target).addListener((ChannelFutureListener) f -> {
                        if (f.isSuccess()) {
                            Relay.join(clientEnd, ChannelEnd.of(f.channel()), tap, finished::complete);
                        } else {
                            tap.close();
                            client.close();
                            finished.completeExceptionally(f.cause());
                        }
                    });
        }

        @Override
        public void close() {
            if (listener != null) {
                listener.close().syncUninterruptibly();
            }
        }

        /** Right after each read has gone through the relay into the tap: the backlog at its highest. */
        private final class BacklogProbe extends ChannelInboundHandlerAdapter {
            private final RecordingTap tap;

            BacklogProbe(RecordingTap tap) {
                this.tap = tap;
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ctx.fireChannelRead(msg);
                long backlog = tap.backlog();
                maxBacklog.accumulateAndGet(backlog, Math::max);
                if (backlog > RecordingTap.HIGH_WATER_MARK) {
                    if (ctx.channel().config().isAutoRead()) {
                        readsAfterTheMark.add(ctx.channel() + " still reading at a backlog of " + backlog);
                    }
                    passedHighWaterMark.countDown();
                }
            }
        }
    }

    /** A format's writer behind a gate the test opens, failing once data would pass {@code budget} bytes. */
    private static final class SlowWriter implements RecordingWriter {
        private final RecordingWriter writer;
        private final CountDownLatch gate;
        private final long budget;
        private long written;

        SlowWriter(RecordingWriter writer, CountDownLatch gate, long budget) {
            this.writer = writer;
            this.gate = gate;
            this.budget = budget;
        }

        @Override
        public void write(RecordedEvent event) throws IOException {
            awaitGate();
            writer.write(event);
        }

        @Override
        public void writeData(Direction from, long micros, boolean text, ByteBuffer... payload) throws IOException {
            awaitGate();
            long length = 0;
            for (ByteBuffer b : payload) {
                length += b.remaining();
            }
            if (written + length > budget) {
                throw new IOException("no space left on device");
            }
            writer.writeData(from, micros, text, payload);
            written += length;
        }

        private void awaitGate() throws IOException {
            try {
                if (!gate.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
                    throw new IOException("the test never opened the gate");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted at the gate", e);
            }
        }

        @Override
        public void close() throws IOException {
            writer.close();
        }
    }

    /** Keeps what it is given: each data event's buffers as they came (when {@code given}), and the events. */
    private static class CapturingWriter implements RecordingWriter {
        private final List<ByteBuffer[]> given;
        private final List<RecordedEvent> written;

        CapturingWriter(List<ByteBuffer[]> given, List<RecordedEvent> written) {
            this.given = given;
            this.written = written;
        }

        @Override
        public void write(RecordedEvent event) {
            if (written != null) {
                written.add(event);
            }
        }

        @Override
        public void writeData(Direction from, long micros, boolean text, ByteBuffer... payload) throws IOException {
            if (given != null) {
                given.add(payload.clone());
            }
            RecordingWriter.super.writeData(from, micros, text, payload);
        }

        @Override
        public void close() {
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private RecordingTap tap(Callable<RecordingWriter> opener) throws Exception {
        return tap(opener, new CompletableFuture<>());
    }

    private RecordingTap tap(Callable<RecordingWriter> opener, CompletableFuture<IOException> failed)
            throws Exception {
        RecordingTap tap = new RecordingTap("tap", loop, writerThread, opener, System.nanoTime());
        onLoop(() -> {
            tap.listener(listener(failed));
            return null;
        });
        return tap;
    }

    private static RecordingTap.Listener listener(CompletableFuture<IOException> failed) {
        return new RecordingTap.Listener() {
            @Override
            public void recorded() {
            }

            @Override
            public void failed(IOException cause) {
                failed.complete(cause);
            }
        };
    }

    /** Runs {@code task} on the tap's event loop, as its callers do, and returns its result. */
    private <T> T onLoop(Callable<T> task) throws Exception {
        return loop.submit(task).get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    /** Returns once the writer thread has done everything handed to it so far: it runs tasks in order. */
    private void drainWriter() throws Exception {
        writerThread.submit(() -> { }).get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    private static SessionInfo session() {
        return new SessionInfo(Instant.now(), "1", null, null, null, null, Map.of());
    }

    private static List<RecordedEvent> readAll(Path file) throws IOException {
        List<RecordedEvent> events = new ArrayList<>();
        try (RecordingReader reader = RecordingReader.open(file)) {
            for (RecordedEvent e; (e = reader.next()) != null; ) {
                events.add(e);
            }
            assertFalse(reader.truncated(), reader.truncation());
        }
        return events;
    }

    private static byte[] fromClient(List<RecordedEvent> events) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (RecordedEvent e : events) {
            if (e.kind() == Kind.DATA && e.side() == Direction.FROM_CLIENT) {
                bytes.writeBytes(e.bytes());
            }
        }
        return bytes.toByteArray();
    }

    private static ByteBuf direct(String s) {
        return ByteBufAllocator.DEFAULT.directBuffer().writeBytes(ascii(s));
    }

    private static void release(ByteBuf... buffers) {
        for (ByteBuf b : buffers) {
            assertEquals(1, b.refCnt(), "only the caller's own reference is left");
            b.release();
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
