package dev.mproxy.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mproxy.record.Direction;
import dev.mproxy.record.RecordedEvent;
import dev.mproxy.record.RecordingWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The one {@link Relay}, on one thread, with fake ends that write down what the relay asks of them (and a real
 * {@link ChannelEnd} on an {@link EmbeddedChannel} where the channel's writability is the point): forwarding, flow
 * control, half-close, failure, and with a real {@link RecordingTap} the order of recording and forwarding
 * (protocol-spec/recording.md §6, streams.md §3 and §4).
 */
@Timeout(10)
class RelayTest {

    private final FakeEnd client = new FakeEnd("client");
    private final FakeEnd server = new FakeEnd("server");
    private final List<Relay> finished = new ArrayList<>();
    /** The recording's writer thread: its tasks run when a test says so ({@link #recordAndHear()}). */
    private final EmbeddedChannel writerThread = new EmbeddedChannel();
    /** Where the tap tells the relay how far the file has got: also when a test says so. */
    private final EmbeddedChannel tapLoop = new EmbeddedChannel();
    private final List<String> recorded = new ArrayList<>();
    private IOException recordingFailure;

    @AfterEach
    void releaseWhatWasLeft() {
        recordAndHear();
        writerThread.finishAndReleaseAll();
        tapLoop.finishAndReleaseAll();
    }

    // ---- forwarding and flow control ----------------------------------------------------------------------

    @Test
    void forwardsWhatEachSideReadsInOrderAndFlushesOncePerReadBurst() {
        // rendezvous 3.1: relayed as it came, in order
        Relay relay = join(null);
        client.read("a", "b");
        client.side.readComplete();
        server.read("x");
        server.side.readComplete();
        client.read("c");
        client.side.readComplete();

        assertEquals(List.of("write a", "write b", "flush", "write c", "flush"), server.calls);
        assertEquals(List.of("write x", "flush"), client.calls);
        assertEquals(3, relay.bytesFrom(Direction.FROM_CLIENT));
        assertEquals(1, relay.bytesFrom(Direction.FROM_SERVER));
    }

    @Test
    void sideReadsOnlyWhileTheOtherCanTakeMore() {
        // streams 4.1, rendezvous 3.2: the other end's writability (water marks) gates reading
        join(null);
        assertTrue(client.reading && server.reading, "both read once joined");

        server.setWritable(false);
        assertFalse(client.reading, "the client is not read while the server cannot take more");
        assertTrue(server.reading, "the other direction is not held up");
        client.setWritable(false);
        assertFalse(server.reading);

        server.setWritable(true);
        assertTrue(client.reading);
        client.setWritable(true);
        assertTrue(server.reading);
    }

    @Test
    void channelEndsWritabilityStopsTheOtherSideWithinOneBurst() {
        // streams 4.1 on a real channel: the ChannelEnd reports its water marks; the burst's flush drains it
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(4, 8));
        ChannelEnd socket = ChannelEnd.of(channel);
        Relay.join(client, socket, null, finished::add);
        assertTrue(client.reading);

        client.read("0123456789"); // ten bytes queued in the channel, unflushed: over its high water mark
        assertFalse(channel.isWritable());
        assertFalse(client.reading, "the client is not read while the channel is full");

        client.side.readComplete(); // the burst's flush empties the channel
        channel.runPendingTasks();
        assertTrue(channel.isWritable());
        assertTrue(client.reading);
        assertEquals("0123456789", readOutbound(channel));

        channel.writeInbound(ascii("from the socket")); // what the channel reads goes to the other side
        assertEquals(List.of("write from the socket", "flush"), client.calls);
        channel.finishAndReleaseAll();
    }

    // ---- half-close, close and failure --------------------------------------------------------------------

    @Test
    void oneSidesEndEndsOnlyTheOtherSidesOutput() {
        // streams 3.1, recording 6.5: each direction ends on its own
        Relay relay = join(null);
        client.read("request");
        client.side.readComplete();
        client.side.inputEnded();

        assertEquals(List.of("write request", "flush", "shutdownOutput"), server.calls);
        assertFalse(client.reading, "nothing more is read from an ended side");
        assertTrue(server.reading, "the other direction goes on");
        server.read("reply");
        server.side.readComplete();
        assertEquals(List.of("write reply", "flush"), client.calls);
        assertTrue(finished.isEmpty());
        assertEquals(Relay.Ending.ENDED, relay.ending(Direction.FROM_CLIENT));
        assertEquals(Relay.Ending.OPEN, relay.ending(Direction.FROM_SERVER));
    }

    @Test
    void bothEndsCloseBothSidesAndFinishOnceWithoutFailure() {
        // streams 3.1: a stream is closed when both directions have ended
        Relay relay = join(null);
        server.side.inputEnded();
        client.side.inputEnded();

        assertEquals(List.of("shutdownOutput", "close"), client.calls);
        assertEquals(List.of("shutdownOutput", "close"), server.calls);
        assertEquals(List.of(relay), finished);
        assertNull(relay.failure());
        assertEquals(Relay.Ending.ENDED, relay.ending(Direction.FROM_SERVER));

        client.side.closed(); // the sockets' own close events come after: no failure now
        server.side.closed();
        assertNull(relay.failure());
        assertEquals(List.of(relay), finished, "finished once");
    }

    @Test
    void failureOfEitherSideBeforeAnyEndResetsBoth() {
        // streams 3.2, recording 6.5: a side that fails before both ended is FAILED, the other reset
        for (Direction failing : Direction.values()) {
            FakeEnd a = new FakeEnd("client");
            FakeEnd b = new FakeEnd("server");
            List<Relay> done = new ArrayList<>();
            Relay relay = Relay.join(a, b, null, done::add);
            (failing == Direction.FROM_CLIENT ? a : b).side.failed(new IOException("Connection reset by peer"));

            assertEquals(List.of("abort"), a.calls, failing.toString());
            assertEquals(List.of("abort"), b.calls, failing.toString());
            String name = failing == Direction.FROM_CLIENT ? "client" : "server";
            assertEquals(name + " failed: Connection reset by peer", relay.failure());
            assertEquals(Relay.Ending.FAILED, relay.ending(failing));
            assertEquals(List.of(relay), done);
        }
    }

    @Test
    void failureAfterTheOtherSidesEndStillResetsBoth() {
        // recording 6.5: finished only when both ENDED; a failure before that resets both
        Relay relay = join(null);
        client.side.inputEnded();
        server.side.failed(new IOException("broken pipe"));

        assertEquals(List.of("abort"), client.calls);
        assertEquals(List.of("shutdownOutput", "abort"), server.calls);
        assertEquals("server failed: broken pipe", relay.failure());
        assertEquals(Relay.Ending.ENDED, relay.ending(Direction.FROM_CLIENT));
        assertEquals(Relay.Ending.FAILED, relay.ending(Direction.FROM_SERVER));
    }

    @Test
    void closeBeforeItsEndIsAFailure() {
        // streams 3.2: a socket closed before both directions ended is a reset
        Relay relay = join(null);
        server.side.closed();

        assertEquals("server closed before the relay finished", relay.failure());
        assertEquals(List.of("abort"), client.calls);
        assertEquals(List.of("abort"), server.calls);
    }

    @Test
    void whatArrivesAfterTheRelayFinishedIsReleasedNotForwarded() {
        Relay relay = join(null);
        client.side.failed(new IOException("gone"));
        ByteBuf late = ascii("late");
        server.side.read(late);
        server.side.readComplete();
        client.side.inputEnded();

        assertEquals(0, late.refCnt());
        assertEquals(List.of("abort"), client.calls);
        assertEquals(List.of(relay), finished);
    }

    // ---- with a recording ---------------------------------------------------------------------------------

    @Test
    void nothingIsForwardedBeforeItIsRecorded() {
        // recording 6.1: data reaches the other side only once its record is in the file, in order
        join(tap());
        client.read("a", "b");
        client.side.readComplete();
        server.read("x");
        server.side.readComplete();
        assertTrue(server.calls.isEmpty(), "nothing forwarded before it is recorded: " + server.calls);
        assertTrue(client.calls.isEmpty());

        writerThread.runPendingTasks();
        assertEquals(List.of("client a", "client b", "server x"), recorded);
        assertTrue(server.calls.isEmpty(), "recorded, but the relay has not heard yet");
        tapLoop.runPendingTasks();
        assertEquals(List.of("write a [recorded]", "write b [recorded]", "flush"), server.calls);
        assertEquals(List.of("write x [recorded]", "flush"), client.calls);
    }

    @Test
    void anEndIsRecordedAfterTheDataBeforeItAndDeliveredAfterItsRecord() {
        // recording 6.1 and 6.5: bytes that arrive with a FIN are recorded, and forwarded, before it
        Relay relay = join(tap());
        client.read("last");
        client.side.inputEnded();
        assertTrue(server.calls.isEmpty());

        recordAndHear();
        assertEquals(List.of("client last", "client ENDED"), recorded);
        assertEquals(List.of("write last [recorded]", "shutdownOutput", "flush"), server.calls);

        server.side.inputEnded();
        recordAndHear();
        assertEquals(List.of("client last", "client ENDED", "server ENDED", "closed"), recorded);
        assertEquals(List.of("shutdownOutput", "close"), client.calls);
        assertEquals(List.of(relay), finished);
    }

    @Test
    void failureIsRecordedBeforeBothSidesAreResetAndNothingAfterItIs() {
        // recording 6.1: a FAILED resets the other side after its record; 6.6: the recording is finished then
        Relay relay = join(tap());
        client.read("before");
        server.side.closed();
        ByteBuf after = ascii("after");
        client.side.read(after);
        assertEquals(0, after.refCnt(), "a failed relay takes nothing more");
        assertTrue(client.calls.isEmpty() && server.calls.isEmpty());

        recordAndHear();
        assertEquals(List.of("client before", "server FAILED", "closed"), recorded);
        assertEquals(List.of("write before [recorded]", "abort", "flush"), server.calls);
        assertEquals(List.of("abort"), client.calls);
        assertEquals("server closed before the relay finished", relay.failure());
    }

    @Test
    void recordingThatFailsResetsBothAndForwardsNothingItDidNotRecord() {
        // recording 6.4
        Relay relay = join(tap());
        client.read("kept");
        recordAndHear();
        failNextWrite = true;
        client.read("lost");
        server.read("lost too");
        recordAndHear();

        assertEquals(List.of("client kept", "closed"), recorded, "the failed file is closed, nothing after it");
        assertEquals(List.of("write kept [recorded]", "flush", "abort"), server.calls);
        assertEquals(List.of("abort"), client.calls);
        assertEquals("recording failed: disk full", relay.failure());
        assertTrue(recordingFailure != null);
    }

    @Test
    void recordingBehindStopsBothSidesUntilItCatchesUp() {
        // recording 6.3: past 1 MiB waiting for its records, neither side is read; under 256 KiB, both again
        join(tap());
        client.side.read(Unpooled.wrappedBuffer(new byte[(int) RecordingTap.HIGH_WATER_MARK + 1]));
        client.side.readComplete();
        assertFalse(client.reading, "a slow disk slows the connection down");
        assertFalse(server.reading);

        recordAndHear();
        assertTrue(client.reading);
        assertTrue(server.reading);
    }

    // ---- threads ------------------------------------------------------------------------------------------

    @Test
    void reportFromAnotherThreadFailsUnderAssertions() throws Exception {
        // surefire runs with assertions on (pom.xml): a relay's loop is checked, not assumed
        DefaultEventLoop loop = new DefaultEventLoop();
        try {
            FakeEnd a = new FakeEnd("client", loop);
            FakeEnd b = new FakeEnd("server", loop);
            loop.submit(() -> Relay.join(a, b, null, null)).get(5, TimeUnit.SECONDS);
            ByteBuf message = ascii("from the wrong thread");
            AssertionError offLoop = assertThrows(AssertionError.class, () -> a.side.read(message));
            message.release();
            assertEquals("off the relay's event loop: client", offLoop.getMessage());
            assertThrows(AssertionError.class, () -> Relay.join(new FakeEnd("c", loop), new FakeEnd("s", loop),
                    null, null));
        } finally {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    private boolean failNextWrite;

    private Relay join(RecordingTap tap) {
        return Relay.join(client, server, tap, finished::add);
    }

    /**
     * A real tap on this thread: its writer runs when {@link #writerThread} runs its tasks, and it tells the relay
     * when {@link #tapLoop} does. Its writer writes each event down as a line, and the ends check what they are
     * given against it.
     */
    private RecordingTap tap() {
        RecordingTap tap = new RecordingTap("test", tapLoop.eventLoop(), writerThread.eventLoop(),
                LineWriter::new, System.nanoTime());
        client.recorded = recorded;
        server.recorded = recorded;
        return tap;
    }

    /** The writer thread writes what is queued, then the relay hears how far it got. */
    private void recordAndHear() {
        writerThread.runPendingTasks();
        tapLoop.runPendingTasks();
    }

    /** Writes each event as a line of {@link #recorded}; fails when told to. */
    private final class LineWriter implements RecordingWriter {
        private boolean closed;

        @Override
        public void write(RecordedEvent event) throws IOException {
            if (failNextWrite) {
                recordingFailure = new IOException("disk full");
                throw recordingFailure;
            }
            String side = event.side() == Direction.FROM_CLIENT ? "client " : "server ";
            switch (event.kind()) {
                case DATA:
                    recorded.add(side + new String(event.bytes(), StandardCharsets.US_ASCII));
                    break;
                case OPENED:
                    recorded.add("opened");
                    break;
                default:
                    recorded.add(side + event.kind());
            }
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                recorded.add("closed");
            }
        }
    }

    private static ByteBuf ascii(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
    }

    private static String readOutbound(EmbeddedChannel channel) {
        StringBuilder text = new StringBuilder();
        ByteBuf b;
        while ((b = channel.readOutbound()) != null) {
            text.append(b.toString(StandardCharsets.US_ASCII));
            b.release();
        }
        return text.toString();
    }

    /** A relay end that writes down, in order, what the relay asks of it. */
    private static final class FakeEnd implements RelayEnd {
        final String name;
        final EventExecutor loop;
        final List<String> calls = new ArrayList<>();
        /** With a recording: what is in the file, which every message written must already be in. */
        List<String> recorded;
        Relay.Side side;
        boolean reading;
        private boolean writable = true;

        FakeEnd(String name) {
            this(name, ImmediateEventExecutor.INSTANCE);
        }

        FakeEnd(String name, EventExecutor loop) {
            this.name = name;
            this.loop = loop;
        }

        /** The end reads {@code texts}, one message each. */
        void read(String... texts) {
            for (String text : texts) {
                side.read(ascii(text));
            }
        }

        void setWritable(boolean writable) {
            this.writable = writable;
            side.writabilityChanged();
        }

        @Override
        public EventExecutor executor() {
            return loop;
        }

        @Override
        public void bind(Relay.Side side) {
            this.side = side;
        }

        @Override
        public void write(Object message) {
            ByteBuf bytes = (ByteBuf) message;
            String text = bytes.toString(StandardCharsets.US_ASCII);
            bytes.release();
            String from = name.equals("client") ? "server " : "client ";
            calls.add("write " + text + (recorded == null ? "" : recorded.contains(from + text) ? " [recorded]"
                    : " [NOT RECORDED]"));
        }

        @Override
        public void flush() {
            calls.add("flush");
        }

        @Override
        public boolean isWritable() {
            return writable;
        }

        @Override
        public void setReading(boolean reading) {
            this.reading = reading;
        }

        @Override
        public void shutdownOutput() {
            calls.add("shutdownOutput");
        }

        @Override
        public void close() {
            calls.add("close");
        }

        @Override
        public void abort() {
            calls.add("abort");
        }

        @Override
        public String toString() {
            return name;
        }
    }
}
