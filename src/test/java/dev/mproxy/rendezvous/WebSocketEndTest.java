package dev.mproxy.rendezvous;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mproxy.relay.Relay;
import io.netty.buffer.Unpooled;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link WebSocketEnd} in a {@link Relay} between two embedded channels: what it holds, passes and closes with. */
@Timeout(10)
class WebSocketEndTest {

    private final EmbeddedChannel a = new EmbeddedChannel();
    private final EmbeddedChannel b = new EmbeddedChannel();
    private final List<Relay> finished = new ArrayList<>();

    @AfterEach
    void release() {
        a.finishAndReleaseAll();
        b.finishAndReleaseAll();
    }

    @Test
    void framesReadBeforeTheRelayStartsGoFirstAndOnlyThenReadingTurnsOn() {
        WebSocketEnd first = WebSocketEnd.atGateway(a);
        WebSocketEnd second = WebSocketEnd.atGateway(b);
        assertFalse(a.config().isAutoRead(), "a relay endpoint reads nothing until its relay starts");
        a.writeInbound(new TextWebSocketFrame("early"));
        join(first, second);
        assertFalse(a.config().isAutoRead(), "reading waits for the held frames to go first");
        assertNull(b.readOutbound());

        a.runPendingTasks();
        TextWebSocketFrame early = b.readOutbound();
        assertEquals("early", early.text());
        early.release();
        assertTrue(a.config().isAutoRead());
    }

    @Test
    void framesReadWhileTheRelayDoesNotReadAreHeldAndThoseBeforeAreFlushed() {
        // rendezvous 3.2: a decoder may deliver after reads were turned off (the rest of a socket read); such
        // frames wait for the relay to read again, and what was relayed before still goes out
        WebSocketEnd first = WebSocketEnd.atGateway(a);
        WebSocketEnd second = WebSocketEnd.atGateway(b);
        b.config().setWriteBufferWaterMark(new WriteBufferWaterMark(8, 16));
        join(first, second);
        assertTrue(a.config().isAutoRead());

        a.pipeline().fireChannelRead(new BinaryWebSocketFrame(Unpooled.buffer(32).writeZero(32)));
        assertFalse(a.config().isAutoRead(), "b is over its high water mark: the relay stopped reading a");
        a.pipeline().fireChannelRead(new TextWebSocketFrame("after reads were turned off"));
        a.pipeline().fireChannelReadComplete();
        BinaryWebSocketFrame before = b.readOutbound();
        assertEquals(32, before.content().readableBytes(), "the frame relayed before is flushed");
        before.release();
        assertNull(b.readOutbound(), "the frame read after is held");

        b.runPendingTasks();
        a.runPendingTasks(); // b took its frame: the relay reads again, the held frame goes first
        TextWebSocketFrame after = b.readOutbound();
        assertEquals("after reads were turned off", after.text());
        after.release();
        assertTrue(a.config().isAutoRead());
    }

    @Test
    void continuationFramesBelongToTheTypeOfTheirMessage() {
        // what a recording's text flag reads (rendezvous 5.3): continuation frames carry no type
        WebSocketEnd first = WebSocketEnd.atGateway(a);
        join(first, WebSocketEnd.atGateway(b));
        List<Boolean> text = new ArrayList<>();
        for (WebSocketFrame frame : List.of(new TextWebSocketFrame(false, 0, "a"),
                new ContinuationWebSocketFrame(true, 0, "b"), new BinaryWebSocketFrame(false, 0, Unpooled.buffer(1)),
                new ContinuationWebSocketFrame(true, 0, Unpooled.buffer(1)))) {
            a.writeInbound(frame);
            text.add(first.isText(null));
            WebSocketFrame passed = b.readOutbound();
            assertEquals(frame.getClass(), passed.getClass(), "frames pass as they came (rendezvous 3.1)");
            passed.release();
        }
        assertEquals(List.of(true, true, false, false), text);
    }

    @Test
    void closeFrameEndsOneDirectionAndTheOtherEndSendsItOn() {
        // rendezvous 4.1, 4.2
        WebSocketEnd first = WebSocketEnd.atGateway(a);
        WebSocketEnd second = WebSocketEnd.atGateway(b);
        WebSocketEnd.pair(first, second);
        join(first, second);
        a.writeInbound(new CloseWebSocketFrame(4001, "enough"));
        CloseWebSocketFrame relayed = b.readOutbound();
        assertEquals(4001, relayed.statusCode());
        assertEquals("enough", relayed.reasonText());
        relayed.release();
        assertEquals("4001 \"enough\"", first.receivedClose());
        assertTrue(b.isOpen(), "the other direction goes on");

        b.writeInbound(new CloseWebSocketFrame());
        CloseWebSocketFrame empty = a.readOutbound();
        assertEquals(-1, empty.statusCode(), "an empty close frame stays empty");
        empty.release();
        assertFalse(a.isOpen());
        assertFalse(b.isOpen());
        assertEquals(1, finished.size());
    }

    @Test
    void clientEndFailsOnACloseFrameOtherThanNormal() {
        // rendezvous 6.4
        // (an embedded channel reports its close at once, where a socket's comes later: the relay's failure text
        // is then the second side's, so only what went out is checked here)
        WebSocketEnd client = WebSocketEnd.atClient(a);
        join(client, WebSocketEnd.atGateway(b));
        a.writeInbound(new CloseWebSocketFrame(1011, "cannot connect to 127.0.0.1:22"));
        assertEquals(1, finished.size());
        assertTrue(finished.get(0).failure() != null, "an abnormal close is a failure, not an end");
        CloseWebSocketFrame answer = a.readOutbound();
        assertEquals(1011, answer.statusCode(), "the close frame is answered with its own status");
        assertEquals("cannot connect to 127.0.0.1:22", answer.reasonText());
        answer.release();
        CloseWebSocketFrame abort = b.readOutbound();
        assertEquals(1001, abort.statusCode());
        abort.release();
    }

    @Test
    void closeReasonIsCutToWhatACloseFrameHoldsOnACharacterBoundary() {
        // RFC 6455 §5.5: a control frame's payload is at most 125 bytes, 2 of them the status
        WebSocketEnd end = WebSocketEnd.atClient(a);
        end.close(WebSocketCloseStatus.INTERNAL_SERVER_ERROR, "cannot connect to " + "é".repeat(100));
        CloseWebSocketFrame close = a.readOutbound();
        assertTrue(close.content().readableBytes() <= 125, close.content().readableBytes() + " bytes");
        assertEquals("cannot connect to " + "é".repeat(51) + "...", close.reasonText());
        close.release();
    }

    @Test
    void abortSendsItsStatusAndDropsTheConnection() {
        // rendezvous 4.3: the other peer goes away without a close frame
        WebSocketEnd first = WebSocketEnd.atGateway(a);
        join(first, WebSocketEnd.atGateway(b));
        b.close();
        CloseWebSocketFrame abort = a.readOutbound();
        assertEquals(1001, abort.statusCode());
        assertEquals(Rendezvous.PEER_WENT_AWAY, abort.reasonText());
        abort.release();
        assertFalse(a.isOpen());
        assertTrue(finished.get(0).failure() != null);
    }

    private void join(WebSocketEnd client, WebSocketEnd server) {
        Relay.join(client, server, null, finished::add);
    }
}
