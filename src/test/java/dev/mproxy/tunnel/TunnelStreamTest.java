package dev.mproxy.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mproxy.protocol.MessageType;
import dev.mproxy.protocol.MproxyMessage;
import dev.mproxy.protocol.StreamAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelPromise;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A stream's state machines (protocol-spec/streams.md §3) on one thread: the device's tunnel end on an
 * {@link EmbeddedChannel} that takes M-PROXY messages as objects, its local socket another one, connected when a
 * test says so.
 */
@Timeout(10)
class TunnelStreamTest {

    /** Small water marks and cap, so that a few messages cross them. */
    private static final TunnelLimits LIMITS = new TunnelLimits(new WriteBufferWaterMark(8, 16), 64, 16);
    private static final StreamAddress CLIENT = new StreamAddress("IPv4", "203.0.113.9", "50000");

    /** The local socket; its connect completes when {@link #connect()} says so. */
    private final EmbeddedChannel local = new EmbeddedChannel();
    private ChannelPromise connecting;
    private final EmbeddedChannel tunnel = new EmbeddedChannel(TunnelHandler.device(LIMITS, (request, loop) -> {
        connecting = local.newPromise();
        return connecting;
    }));

    @AfterEach
    void stop() {
        tunnel.finishAndReleaseAll();
        local.finishAndReleaseAll();
    }

    @Test
    void peerIsPausedWhileTheLocalSocketConnectsAndResumedOnceJoined() {
        // streams 3.4 and 4.1: data held while connecting counts as the socket's backlog
        fromPeer(connection(), data("0123456789"));
        assertEquals(List.of(), sent(), "under the high water mark: no pause");
        fromPeer(data("0123456789"));
        assertEquals(List.of("PAUSE 20"), sent());

        connect();
        // the relay reads the peer once joined; handing over the 20 held bytes passes the socket's high water mark
        // before they are flushed, which pauses the peer again for that moment
        List<String> joined = sent();
        assertEquals("RESUME 20", joined.get(0), joined.toString());
        assertEquals("RESUME 20", joined.get(joined.size() - 1), joined.toString());
        assertEquals("01234567890123456789", written());
    }

    @Test
    void noPauseOrResumeGoesOutForADirectionThePeerEnded() {
        // streams 4.5: after the peer's end nothing more comes, so there is nothing to pause or resume
        fromPeer(connection(), data("0123456789"), end());
        fromPeer(); // nothing
        assertEquals(List.of(), sent());
        connect();
        assertEquals(List.of(), sent(), "no resume for an ended direction");
        assertEquals("0123456789", written());
    }

    @Test
    void dataAfterThePeersEndFailsTheStream() {
        // streams §5: E_PROTOCOL for data after end
        fromPeer(connection(), end(), data("late"));
        assertEquals(List.of("ERROR E_PROTOCOL data after end"), sent());
        assertEquals(0, streams());
    }

    @Test
    void peerThatKeepsSendingPastTheCapAfterPauseLosesTheStream() {
        // streams 4.2: the cap counts from the pause (64 bytes here)
        fromPeer(connection(), data("x".repeat(17)));
        assertEquals(List.of("PAUSE 17"), sent());
        fromPeer(data("y".repeat(64)));
        assertEquals(List.of(), sent(), "64 bytes since the pause: at the cap, not past it");
        fromPeer(data("z"));
        assertEquals(List.of("ERROR E_PAUSE_IGNORED peer kept sending after pause: 65 bytes since (limit: 64)"),
                sent());
        assertEquals(0, streams());
    }

    @Test
    void peersPauseStopsReadingTheSocketUntilItsResume() {
        // streams 4.1: the peer's pause turns the socket's reading off, its resume on
        fromPeer(connection());
        connect();
        assertTrue(local.config().isAutoRead());
        fromPeer(MproxyMessage.pause(CLIENT, "4000", "", 0));
        assertFalse(local.config().isAutoRead());
        fromPeer(MproxyMessage.resume(CLIENT, "4000", "", 0));
        assertTrue(local.config().isAutoRead());
    }

    @Test
    void socketsBytesGoOutAsDataAndTheStreamClosesWhenBothDirectionsEnded() {
        // streams 3.1
        fromPeer(connection());
        connect();
        local.writeInbound(Unpooled.copiedBuffer("reply", StandardCharsets.US_ASCII));
        assertEquals(List.of("DATA reply"), sent());
        fromPeer(end());
        local.pipeline().fireUserEventTriggered(io.netty.channel.socket.ChannelInputShutdownEvent.INSTANCE);
        assertEquals(List.of("END"), sent());
        assertEquals(0, streams());
    }

    @Test
    void errorAfterThePeersEndDeliversAllItSentThenEndsTheSocketAndSendsNothingMore() {
        // streams 3.6 (issue 12): telebit's relay forgets a stream at its end and answers our pause with E_NO_CONN
        fromPeer(connection(), data("0123456789"), data("0123456789"), end());
        assertEquals(List.of("PAUSE 20"), sent());
        fromPeer(MproxyMessage.error(CLIENT, "4000", "", "no matching connection", StreamErrors.NO_CONN));
        assertEquals(1, streams(), "the stream lives on for its socket, and counts against the limit");

        connect();
        assertEquals("01234567890123456789", written(), "everything the peer sent, once connected");
        local.writeInbound(Unpooled.copiedBuffer("reply", StandardCharsets.US_ASCII));
        local.pipeline().fireUserEventTriggered(io.netty.channel.socket.ChannelInputShutdownEvent.INSTANCE);
        assertEquals(List.of(), sent(), "no resume, data, end or error for a stream the peer forgot");
        assertEquals(0, streams());
        assertFalse(local.isOpen(), "closed once both directions ended, not reset");
    }

    @Test
    void errorWhileThePeersDirectionIsOpenResetsTheSocket() {
        // streams 3.3
        fromPeer(connection());
        connect();
        fromPeer(data("abc"), MproxyMessage.error(CLIENT, "4000", "", "read ECONNRESET", "ECONNRESET"));
        assertEquals(0, streams());
        assertFalse(local.isOpen());
        assertTrue(sent().stream().noneMatch(m -> m.startsWith("ERROR")), "the peer's error is not answered");
    }

    @Test
    void peerMayReuseTheIdOfAStreamItForgot() {
        // streams 2.2 and 3.6: for the peer the stream has ended, so its id is free at once
        fromPeer(connection(), end(), MproxyMessage.error(CLIENT, "4000", "", "no matching connection",
                StreamErrors.NO_CONN));
        ChannelPromise first = connecting;
        fromPeer(connection());
        assertEquals(List.of(), sent(), "no E_PROTOCOL for a live id");
        assertEquals(2, streams());
        assertTrue(connecting != first, "a second local connection is opened");
    }

    @Test
    void transitionOnlyOurOwnCodeCanAskForIsLoudWhenItComesAtTheWrongTime() {
        // streams §3: a second end to send, or data after it, is a bug, not something to send
        TunnelHandler handler = tunnel.pipeline().get(TunnelHandler.class);
        TunnelStream stream = new TunnelStream(new StreamRequest(CLIENT, "tcp", "4000", ""), handler, LIMITS,
                TunnelMeter.unobserved());
        stream.shutdownOutput();
        assertEquals(List.of("END"), sent());

        IllegalStateException twice = assertThrows(IllegalStateException.class, stream::shutdownOutput);
        assertEquals("stream IPv4,203.0.113.9,50000 -> tcp:4000: end to send in state ENDED (expected: OPEN or PAUSED)",
                twice.getMessage());
        ByteBuf late = Unpooled.copiedBuffer("late", StandardCharsets.US_ASCII);
        assertThrows(IllegalStateException.class, () -> stream.write(late));
        assertEquals(0, late.refCnt(), "released all the same");
        assertTrue(stream.removed());
        ByteBuf afterClose = Unpooled.copiedBuffer("after close", StandardCharsets.US_ASCII);
        IllegalStateException closed = assertThrows(IllegalStateException.class, () -> stream.received(afterClose));
        assertTrue(closed.getMessage().endsWith("data in state CLOSED (expected: JOINED)"), closed.getMessage());
        assertEquals(1, afterClose.refCnt(), "not kept: the caller still owns it");
        afterClose.release();
        assertNull(stream.relayFailure());
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    private void fromPeer(MproxyMessage... messages) {
        for (MproxyMessage m : messages) {
            tunnel.writeInbound(m);
        }
    }

    private void connect() {
        connecting.setSuccess();
        tunnel.runPendingTasks();
        local.runPendingTasks();
    }

    private int streams() {
        return tunnel.pipeline().get(TunnelHandler.class).streamCount();
    }

    /** What the tunnel sent the peer since last asked, one line a message. */
    private List<String> sent() {
        List<String> lines = new ArrayList<>();
        MproxyMessage m;
        while ((m = tunnel.readOutbound()) != null) {
            String body = m.content().toString(StandardCharsets.UTF_8);
            if (m.type() == MessageType.ERROR) {
                body = body.replaceAll(".*\"message\":\"([^\"]*)\".*\"code\":\"([^\"]*)\".*", "$2 $1");
            }
            lines.add(m.type() + (body.isEmpty() ? "" : " " + body));
            m.release();
        }
        return lines;
    }

    /** What the local socket was given since last asked. */
    private String written() {
        StringBuilder text = new StringBuilder();
        ByteBuf b;
        while ((b = local.readOutbound()) != null) {
            text.append(b.toString(StandardCharsets.US_ASCII));
            b.release();
        }
        return text.toString();
    }

    private static MproxyMessage connection() {
        return MproxyMessage.connection(CLIENT, "tcp", "4000", "");
    }

    private static MproxyMessage data(String text) {
        return MproxyMessage.data(CLIENT, "tcp", "4000", "", Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII));
    }

    private static MproxyMessage end() {
        return MproxyMessage.end(CLIENT, "4000", "");
    }
}
