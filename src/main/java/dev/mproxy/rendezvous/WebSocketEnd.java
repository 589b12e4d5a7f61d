package dev.mproxy.rendezvous;

import dev.mproxy.guard.RemoteText;
import dev.mproxy.relay.Relay;
import dev.mproxy.relay.RelayEnd;
import dev.mproxy.websocket.WebSocketFrameCodec;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A WebSocket as a relay endpoint: the last handler of its pipeline, behind Netty's WebSocket protocol handler
 * configured to pass close frames on and to send none of its own. What it reads goes to the relay as it came:
 * text, binary and continuation frames at the gateway (rendezvous 3.1), payload bytes behind a frame codec at
 * a client (rendezvous 6.3). A close frame ends its input; ending its output sends a close frame, the one its
 * {@linkplain #pair paired} end received when there is one, so a status and reason cross the relay unchanged
 * (rendezvous 4.1).
 *
 * <p>Reading is off from the start: what the connection delivers before the relay starts (frames that came
 * with the greeting, say), or while the relay does not read, is held and handed over first, before reading
 * turns on. Pings and pongs never get here: {@link dev.mproxy.websocket.PingResponder} answers them.
 *
 * <p>Each direction has its state: {@link Input} (has the close frame been handed to the relay) and
 * {@link Output} (has ours been sent, are we waiting for the connection to close).
 */
final class WebSocketEnd extends ChannelInboundHandlerAdapter implements RelayEnd {

    private static final InternalLogger logger = InternalLoggerFactory.getInstance(WebSocketEnd.class);

    /**
     * How long a closing connection may take to send its close frame (rendezvous 4.2), or at a client for the
     * gateway to close the TCP connection, before it is closed anyway.
     */
    static final long CLOSE_TIMEOUT_MILLIS = 10_000;

    /** The reason a client sends when its local side fails (rendezvous 6.4). */
    static final String LOCAL_SIDE_FAILED = "the relay client's local side failed";

    /** What the connection sends us. */
    private enum Input {
        /** Frames are handed to the relay, or held while it does not read. */
        OPEN,
        /**
         * A close frame was handed to the relay: reads stay on from then on, whatever the relay says, so that the
         * end of the connection is seen; Netty's decoder drops anything else that arrives after a close frame.
         */
        ENDED
    }

    /** What we send the connection. */
    private enum Output {
        /** Frames go out. */
        OPEN,
        /** Our close frame is sent (or on its way): nothing more goes out. */
        CLOSE_SENT,
        /** Close frame sent, waiting for the connection to close: whatever still arrives is dropped. */
        CLOSING
    }

    private final Channel channel;
    private final WebSocketCloseStatus abortStatus;
    private final String abortReason;
    /**
     * A client's: a close frame with a status other than 1000 fails its input instead of ending it, an abort
     * after a close frame answers it with the same status rather than with its own, and a close leaves the TCP
     * connection for the gateway to close (RFC 6455 §7.1.1), which it does once the id is free again.
     */
    private final boolean atClient;
    /** Frames, and the {@link ReceivedClose} in its place among them, waiting for the relay to read. */
    private final ArrayDeque<Object> held = new ArrayDeque<>();
    private WebSocketEnd peer;
    private Relay.Side side;
    private Input input = Input.OPEN;
    private Output output = Output.OPEN;
    /** Our close frame's write; set when {@link #output} leaves {@link Output#OPEN}. */
    private ChannelFuture closeSent;
    /** The close frame the connection sent; null until one came. */
    private ReceivedClose receivedClose;
    /** Whether the relay reads this end. */
    private boolean reading;
    private boolean drainScheduled;
    /** Whether the message being handed over is text (continuation frames have no type of their own). */
    private boolean textMessage;

    private WebSocketEnd(Channel channel, WebSocketCloseStatus abortStatus, String abortReason,
                         boolean atClient) {
        this.channel = channel;
        this.abortStatus = abortStatus;
        this.abortReason = abortReason;
        this.atClient = atClient;
    }

    /**
     * A peer's WebSocket at the gateway: frames pass as they came, a close frame of any status ends the input
     * and is sent on to the paired end (rendezvous 4.1), and an abort tells the peer the other one went away
     * (rendezvous 4.3). Stops the channel's reads and adds itself to the end of its pipeline.
     */
    static WebSocketEnd atGateway(Channel channel) {
        return add(new WebSocketEnd(channel, WebSocketCloseStatus.ENDPOINT_UNAVAILABLE, Rendezvous.PEER_WENT_AWAY,
                false));
    }

    /**
     * A client's WebSocket, behind a codec that turns binary frames into bytes (rendezvous 6.3): a close frame
     * with status 1000 or none ends the input, any other fails it, and an abort says the local side failed
     * (rendezvous 6.4). Stops the channel's reads and adds itself to the end of its pipeline.
     */
    static WebSocketEnd atClient(Channel channel) {
        return add(new WebSocketEnd(channel, WebSocketCloseStatus.INTERNAL_SERVER_ERROR, LOCAL_SIDE_FAILED, true));
    }

    private static WebSocketEnd add(WebSocketEnd end) {
        end.channel.config().setAutoRead(false);
        end.channel.pipeline().addLast(end);
        return end;
    }

    /** Makes each end send, when its output ends, the close frame the other one received (rendezvous 4.1). */
    static void pair(WebSocketEnd a, WebSocketEnd b) {
        a.peer = b;
        b.peer = a;
    }

    Channel channel() {
        return channel;
    }

    /**
     * Whether the frame being handed to the relay belongs to a text message: continuation frames have no type of
     * their own, so the message's first frame decides, and the relay asks while it takes the frame.
     */
    @Override
    public boolean isText(Object message) {
        return textMessage;
    }

    /**
     * The close frame the other side sent, for log lines and error messages, e.g. {@code 1011 "cannot connect"}:
     * its reason quoted and escaped, as the peer chose it (rendezvous 4.4); null if none came.
     */
    String receivedClose() {
        return receivedClose == null ? null : receivedClose.toString();
    }

    /**
     * Sends a close frame with {@code status} and {@code reason} (cut to what a close frame holds) unless one was
     * sent, and closes the connection once it is sent: for a peer refused or timed out before any relay
     * (rendezvous 2.1-2.5), or a client that cannot reach its local service (rendezvous 6.6).
     */
    void close(WebSocketCloseStatus status, String reason) {
        assert inLoop() : this + ": called off its event loop";
        if (output == Output.OPEN) {
            sendClose(new CloseWebSocketFrame(status, WebSocketFrameCodec.closeReason(reason)));
        }
        closeWhenSent();
    }

    // ---- the relay's endpoint ---------------------------------------------------------------------------

    @Override
    public EventExecutor executor() {
        return channel.eventLoop();
    }

    @Override
    public void bind(Relay.Side side) {
        assert inLoop() : this + ": called off its event loop";
        this.side = side;
        if (!channel.isActive()) {
            releaseHeld();
            side.closed(); // closed before the relay started: the channelInactive went by unseen
        }
    }

    @Override
    public void write(Object message) {
        assert inLoop() : this + ": called off its event loop";
        channel.write(message, channel.voidPromise());
    }

    @Override
    public void flush() {
        assert inLoop() : this + ": called off its event loop";
        channel.flush();
    }

    @Override
    public boolean isWritable() {
        assert inLoop() : this + ": called off its event loop";
        return channel.isWritable();
    }

    @Override
    public void setReading(boolean reading) {
        assert inLoop() : this + ": called off its event loop";
        this.reading = reading;
        if (reading && !held.isEmpty()) {
            if (!drainScheduled) {
                drainScheduled = true;
                channel.eventLoop().execute(this::drain); // not from inside the relay's own bookkeeping
            }
            return; // reads stay off until what was held is handed over, so nothing overtakes it
        }
        channel.config().setAutoRead(reading || input == Input.ENDED);
    }

    @Override
    public void shutdownOutput() {
        assert inLoop() : this + ": called off its event loop";
        if (output == Output.OPEN) {
            sendClose(closeFrame());
        }
    }

    @Override
    public void close() {
        assert inLoop() : this + ": called off its event loop";
        shutdownOutput();
        closeWhenSent();
    }

    @Override
    public void abort() {
        assert inLoop() : this + ": called off its event loop";
        if (output == Output.OPEN && channel.isActive()) {
            // goes out if the socket takes it now; whatever else is queued is dropped with the connection. A
            // failure the other peer reported is answered with its own status; after its clean close, our
            // failure is ours to report, never as a clean 1000 (rendezvous 6.4)
            sendClose(atClient && receivedFailure() ? receivedClose.frame()
                    : new CloseWebSocketFrame(abortStatus, abortReason));
        }
        channel.close();
    }

    /** The close frame that ends our output: the one the paired end received, or a clean 1000. */
    private CloseWebSocketFrame closeFrame() {
        if (peer == null || peer.receivedClose == null) {
            return new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE.code(), "");
        }
        return peer.receivedClose.frame();
    }

    /** Whether this end received a close frame with a status other than 1000. */
    private boolean receivedFailure() {
        return receivedClose != null && receivedClose.isFailure();
    }

    private void sendClose(CloseWebSocketFrame frame) {
        if (output != Output.OPEN) {
            frame.release();
            throw new IllegalStateException(this + ": close frame to send in state " + output + " (expected: OPEN)");
        }
        output = Output.CLOSE_SENT;
        closeSent = channel.writeAndFlush(frame);
    }

    private void closeWhenSent() {
        if (output == Output.CLOSING) {
            return; // already waiting for the connection to close
        }
        output = Output.CLOSING;
        if (atClient) {
            channel.config().setAutoRead(true); // to see the gateway's FIN; anything else arriving is dropped
        } else {
            closeSent.addListener(ChannelFutureListener.CLOSE);
        }
        if (!channel.isOpen()) {
            return;
        }
        try {
            ScheduledFuture<?> deadline = channel.eventLoop().schedule(() -> {
                channel.close();
            }, CLOSE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            channel.closeFuture().addListener(f -> deadline.cancel(false));
        } catch (RejectedExecutionException stopping) {
            channel.close(); // the loop is shutting down: no time left to wait for the close frame
        }
    }

    private void drain() {
        drainScheduled = false;
        Object message;
        while (reading && (message = held.poll()) != null) {
            deliver(message);
        }
        side.readComplete();
        if (reading && held.isEmpty()) {
            channel.config().setAutoRead(true);
        }
    }

    private void deliver(Object message) {
        if (message instanceof ReceivedClose) {
            // a peer that goes away now, while the other direction is open, ends the pair (rendezvous 4.3)
            // instead of leaving it and both connections half-closed for ever
            input = Input.ENDED;
            if (atClient && receivedFailure()) {
                side.failed(new IOException("the other peer closed the relay: " + receivedClose()));
            } else {
                side.inputEnded();
            }
            return;
        }
        if (message instanceof TextWebSocketFrame) {
            textMessage = true;
        } else if (message instanceof BinaryWebSocketFrame || message instanceof ByteBuf) {
            textMessage = false;
        }
        side.read(message);
    }

    private void releaseHeld() {
        Object message;
        while ((message = held.poll()) != null) {
            ReferenceCountUtil.release(message);
        }
    }

    // ---- what the connection reports --------------------------------------------------------------------

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (output == Output.CLOSING) {
            ReferenceCountUtil.release(msg);
            return;
        }
        Object message = msg;
        if (msg instanceof CloseWebSocketFrame) {
            CloseWebSocketFrame close = (CloseWebSocketFrame) msg;
            receivedClose = new ReceivedClose(close);
            close.release();
            message = receivedClose;
        }
        if (side == null || !reading || !held.isEmpty()) {
            // reads are off, yet a decoder may still deliver: the rest of a socket read, or a frame it read on
            // to complete; held, it waits for the relay to read again (rendezvous 3.2)
            held.add(message);
            return;
        }
        deliver(message);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (side != null) {
            // even with frames held: those delivered before reading stopped (the other end went unwritable
            // while they were written) must be flushed
            side.readComplete();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (side != null) {
            side.writabilityChanged();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseHeld();
        if (side != null) {
            side.closed();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseHeld();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (refusedTextFrame(cause) && output == Output.OPEN && channel.isActive()) {
            // the sender reads why; Netty's own decoders send their close frames (1002, 1007, 1009) themselves
            CorruptedWebSocketFrameException corrupt = (CorruptedWebSocketFrameException) cause;
            String reason = corrupt.getMessage() == null ? corrupt.closeStatus().reasonText()
                    : WebSocketFrameCodec.closeReason(corrupt.getMessage());
            sendClose(new CloseWebSocketFrame(corrupt.closeStatus(), reason));
        }
        if (side == null) {
            logger.debug("{}: failed before its relay started", channel, cause);
            ctx.close(); // not joined yet: bind() sees the channel closed
            return;
        }
        side.failed(cause);
    }

    /** A text frame at a client, refused by the tunnel's frame codec (rendezvous 6.3). */
    private static boolean refusedTextFrame(Throwable cause) {
        return cause instanceof CorruptedWebSocketFrameException && ((CorruptedWebSocketFrameException) cause)
                .closeStatus() == WebSocketCloseStatus.INVALID_MESSAGE_TYPE;
    }

    private boolean inLoop() {
        return channel.eventLoop().inEventLoop();
    }

    @Override
    public String toString() {
        return channel.toString();
    }

    /** A close frame the connection sent: its status and reason, or neither (an empty close frame). */
    private static final class ReceivedClose {
        private final boolean hasStatus;
        private final int status;
        private final String reason;

        ReceivedClose(CloseWebSocketFrame frame) {
            hasStatus = frame.statusCode() >= 0; // Netty's -1: the frame has no status
            status = frame.statusCode();
            reason = frame.reasonText();
        }

        /** A status other than 1000: the sender failed. */
        boolean isFailure() {
            return hasStatus && status != WebSocketCloseStatus.NORMAL_CLOSURE.code();
        }

        /** The same close frame, to send on. */
        CloseWebSocketFrame frame() {
            return hasStatus ? new CloseWebSocketFrame(status, reason) : new CloseWebSocketFrame();
        }

        /** For log lines and error messages, e.g. {@code 1011 "cannot connect"}, the reason quoted and escaped. */
        @Override
        public String toString() {
            return !hasStatus ? "an empty close frame"
                    : reason.isEmpty() ? Integer.toString(status) : status + " " + RemoteText.quoted(reason);
        }
    }
}
