package dev.mproxy.tunnel;

import dev.mproxy.protocol.MessageType;
import dev.mproxy.protocol.MproxyMessage;
import dev.mproxy.protocol.MproxyProtocolException;
import dev.mproxy.protocol.StreamAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.internal.ObjectUtil;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One end of a tunnel: the table of its streams and their flow control (protocol-spec/streams.md). It sits
 * on the tunnel channel above the M-PROXY codec and runs every stream's state on that channel's event loop;
 * events from stream sockets on other loops are handed over to it.
 *
 * <p>Flow control, per stream: data from the peer goes to the stream's socket; when that socket's write
 * buffer passes its high water mark we send {@code pause}, and {@code resume} once it drains. A {@code pause}
 * from the peer turns {@code autoRead} off on that one socket. Per tunnel: while the tunnel channel is not
 * writable, no stream socket is read. A peer that keeps sending past {@link TunnelLimits#pauseIgnoredLimit()}
 * loses that stream with {@code error}; nothing else is affected.
 *
 * <p>The gateway side opens streams with {@link #openStream}; the device side is given a {@link StreamOpener}
 * and opens them when a {@code connection} arrives. {@code control} messages are passed on up the pipeline.
 */
public final class TunnelHandler extends ChannelDuplexHandler {

    private static final InternalLogger logger = InternalLoggerFactory.getInstance(TunnelHandler.class);

    /** How many closed stream ids are remembered; a stream's stragglers arrive within one round trip. */
    private static final int RECENTLY_CLOSED = 1024;

    /** Bytes in hand-over to this loop past which stream sockets stop reading (see {@link #handedOver}). */
    static final long HANDOVER_LIMIT = 256 * 1024;

    /**
     * Bytes read from stream sockets on other event loops and handed to this one, not yet written to the
     * tunnel. Those sockets stop themselves past {@link #HANDOVER_LIMIT}: a stop sent from this loop would
     * come too late when this loop is the bottleneck, and the hand-over queue would grow without bound.
     */
    private final AtomicLong handedOver = new AtomicLong();
    /** Set when a socket stopped itself on the hand-over limit; cleared when this loop has caught up. */
    private volatile boolean handoverThrottled;

    private final TunnelLimits limits;
    private final StreamOpener opener;
    private final Map<StreamAddress, TunnelStream> streams = new HashMap<>();
    /**
     * Ids of streams closed lately. Data the peer sent before it saw our {@code end} or {@code error} is
     * dropped quietly instead of drawing one {@code E_NO_CONN} per message.
     */
    private final Set<StreamAddress> recentlyClosed = Collections.newSetFromMap(new LinkedHashMap<>() {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<StreamAddress, Boolean> eldest) {
            return size() > RECENTLY_CLOSED;
        }
    });
    private ChannelHandlerContext ctx;

    /** The gateway side: streams are opened by {@link #openStream}; a {@code connection} from the peer is refused. */
    public static TunnelHandler gateway(TunnelLimits limits) {
        return new TunnelHandler(limits, null);
    }

    /** The device side: each {@code connection} from the peer is opened with {@code opener}. */
    public static TunnelHandler device(TunnelLimits limits, StreamOpener opener) {
        return new TunnelHandler(limits, ObjectUtil.checkNotNull(opener, "opener"));
    }

    private TunnelHandler(TunnelLimits limits, StreamOpener opener) {
        this.limits = ObjectUtil.checkNotNull(limits, "limits");
        this.opener = opener;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /** Whether this is the device's end, which opens streams when the gateway asks. */
    boolean isDeviceSide() {
        return opener != null;
    }

    /** Live streams; for tests and metrics, call on the tunnel's event loop. */
    int streamCount() {
        return streams.size();
    }

    // ---- gateway side ----------------------------------------------------------------------------------

    /**
     * Carries a public connection as a new stream: sends {@code connection}, then relays both ways. Callable
     * from any thread. {@code endpoint} must have {@code autoRead} off and allow half-closure; it is closed
     * if the stream cannot be opened. {@code firstBytes}, if not null, is sent as the stream's first data
     * (a peeked ClientHello or request head) and is released by this call.
     */
    public void openStream(Channel endpoint, String service, String servicePort, String name, ByteBuf firstBytes) {
        ChannelHandlerContext ctx = this.ctx;
        ctx.executor().execute(() -> {
            StreamRequest request = new StreamRequest(addressOf(endpoint), service, servicePort, name);
            String refusal = !ctx.channel().isActive() ? "tunnel is closed"
                    : streams.containsKey(request.client()) ? "a live stream already has the id " + request.client()
                    : streams.size() >= limits.maxStreams()
                            ? "tunnel carries its maximum of " + limits.maxStreams() + " streams" : null;
            if (refusal != null) {
                logger.info("refused public connection {}: {}", request, refusal);
                ReferenceCountUtil.release(firstBytes);
                endpoint.close();
                return;
            }
            TunnelStream stream = add(request);
            ctx.write(MproxyMessage.connection(request.client(), service, servicePort, name));
            if (firstBytes != null && firstBytes.isReadable()) {
                ctx.write(data(stream, firstBytes));
            } else {
                ReferenceCountUtil.release(firstBytes);
            }
            ctx.flush();
            attach(stream, endpoint);
        });
    }

    // ---- messages from the peer -------------------------------------------------------------------------

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof MproxyMessage)) {
            ctx.fireChannelRead(msg);
            return;
        }
        MproxyMessage m = (MproxyMessage) msg;
        if (m.type() == MessageType.CONTROL) {
            ctx.fireChannelRead(m);
            return;
        }
        try {
            TunnelStream stream = streams.get(m.address());
            switch (m.type()) {
                case CONNECTION:
                    onConnection(m, stream);
                    break;
                case DATA:
                    onData(m, stream);
                    break;
                case END:
                    if (stream != null) {
                        onEnd(stream);
                    }
                    break;
                case ERROR:
                    if (stream != null) {
                        logger.debug("{} failed at the peer: {}", stream, m.content().toString(
                                StandardCharsets.UTF_8));
                        close(stream, true);
                    }
                    break;
                case PAUSE:
                    if (stream != null) {
                        stream.pausedByPeer = true;
                        updateReading(stream);
                    }
                    break;
                case RESUME:
                    if (stream != null) {
                        stream.pausedByPeer = false;
                        updateReading(stream);
                    }
                    break;
                default:
                    throw new Error("Shouldn't reach here (type: " + m.type() + ')');
            }
        } finally {
            m.release();
        }
    }

    private void onConnection(MproxyMessage m, TunnelStream existing) {
        StreamRequest request = new StreamRequest(m.address(), m.service(), m.servicePort(), m.name());
        if (opener == null) {
            sendError(request, StreamErrors.PROTOCOL, "a device may not open streams toward the gateway");
            return;
        }
        if (existing != null) {
            sendError(request, StreamErrors.PROTOCOL, "connection for a live stream id " + m.address());
            close(existing, true);
            return;
        }
        if (streams.size() >= limits.maxStreams()) {
            sendError(request, StreamErrors.TOO_MANY_STREAMS,
                    "device carries its maximum of " + limits.maxStreams() + " streams");
            return;
        }
        TunnelStream stream = add(request);
        ChannelFuture connect;
        try {
            connect = opener.open(request, ctx.channel().eventLoop());
        } catch (RuntimeException e) {
            connect = ctx.channel().newFailedFuture(e);
        }
        connect.addListener((ChannelFutureListener) f -> {
            if (stream.closed) {
                f.channel().close();
            } else if (f.isSuccess()) {
                attach(stream, f.channel());
            } else {
                Throwable cause = f.cause();
                logger.debug("{}: local connection failed", stream, cause);
                remove(stream);
                sendError(request, StreamErrors.codeOf(cause), describe(cause));
            }
        });
    }

    private void onData(MproxyMessage m, TunnelStream stream) {
        if (stream == null) {
            if (!recentlyClosed.contains(m.address())) {
                sendError(new StreamRequest(m.address(), m.service(), m.servicePort(), m.name()),
                        StreamErrors.NO_CONN, "no matching connection");
            }
            return;
        }
        ByteBuf body = m.content();
        int length = body.readableBytes();
        if (stream.peerEnded) {
            fail(stream, StreamErrors.PROTOCOL, "data after end");
            return;
        }
        stream.received += length;
        if (stream.endpoint == null) {
            stream.pending.add(body.retain());
            stream.pendingBytes += length;
            checkBacklog(stream, stream.pendingBytes);
            return;
        }
        stream.endpoint.writeAndFlush(body.retain(), stream.endpoint.voidPromise());
        checkBacklog(stream, buffered(stream.endpoint));
    }

    /** Pauses the peer over the high water mark; past the hard cap the peer ignored pause: fail the stream. */
    private void checkBacklog(TunnelStream stream, long buffered) {
        if (buffered > limits.pauseIgnoredLimit()) {
            fail(stream, StreamErrors.PAUSE_IGNORED, "peer kept sending after pause: " + buffered
                    + " bytes buffered (limit: " + limits.pauseIgnoredLimit() + ')');
        } else if (!stream.pausedPeer && buffered > limits.streamWaterMark().high()) {
            stream.pausedPeer = true;
            ctx.writeAndFlush(MproxyMessage.pause(stream.id(), stream.request.servicePort(), stream.request.name(),
                    stream.received));
        }
    }

    private void onEnd(TunnelStream stream) {
        stream.peerEnded = true;
        if (stream.endpoint != null) {
            shutdownOutputAfterWrites(stream.endpoint);
            finishIfDone(stream);
        }
    }

    // ---- events from stream sockets (handed to the tunnel's loop) -----------------------------------------

    /**
     * Called on a stream socket's own loop before it hands {@code length} bytes over: true when the socket
     * must stop reading now, because the tunnel is over its high water mark or this loop is behind.
     */
    boolean handOver(int length) {
        boolean stop = handedOver.addAndGet(length) > HANDOVER_LIMIT || !ctx.channel().isWritable();
        if (stop) {
            handoverThrottled = true;
        }
        return stop;
    }

    void endpointRead(TunnelStream stream, ByteBuf buf, int length) {
        long queued = handedOver.addAndGet(-length);
        if (stream.closed || !buf.isReadable()) {
            buf.release();
        } else {
            ctx.write(data(stream, buf));
            if (!ctx.channel().isWritable()) {
                stream.endpoint.config().setAutoRead(false); // the others follow in channelWritabilityChanged
            }
        }
        if (handoverThrottled && queued < HANDOVER_LIMIT / 2 && ctx.channel().isWritable()) {
            resumeReading();
        }
    }

    /**
     * Lets every stream socket read again, but for those the peer paused. Every stop on the hand-over limit
     * is followed by a hand-over processed here, so one of them, or the tunnel turning writable, gets here.
     */
    private void resumeReading() {
        if (handedOver.get() < HANDOVER_LIMIT / 2) {
            handoverThrottled = false;
        }
        for (TunnelStream stream : streams.values()) {
            updateReading(stream);
        }
    }

    void endpointReadComplete() {
        ctx.flush();
    }

    void endpointInputEnded(TunnelStream stream) {
        if (stream.closed || stream.endpointEnded) {
            return;
        }
        stream.endpointEnded = true;
        ctx.writeAndFlush(MproxyMessage.end(stream.id(), stream.request.servicePort(), stream.request.name()));
        finishIfDone(stream);
    }

    void endpointWritable(TunnelStream stream) {
        if (!stream.closed && stream.pausedPeer && stream.endpoint.isWritable()) {
            stream.pausedPeer = false;
            ctx.writeAndFlush(MproxyMessage.resume(stream.id(), stream.request.servicePort(),
                    stream.request.name(), stream.received));
        }
    }

    void endpointClosed(TunnelStream stream) {
        if (stream.closed) {
            return;
        }
        // Closed before both directions ended: a reset, not a clean finish.
        remove(stream);
        sendError(stream.request, StreamErrors.CONNECTION_RESET, "connection closed before the stream ended");
    }

    // ---- tunnel channel ----------------------------------------------------------------------------------

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        resumeReading(); // or stop it: updateReading follows the tunnel's writability either way
        ctx.fireChannelWritabilityChanged();
    }

    /**
     * A corrupt frame or a failed tunnel socket ends this tunnel only; its streams close with it. On a
     * WebSocket the peer reads why in the close frame: 1002 for a broken protocol rule, 1011 otherwise.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!ctx.channel().isActive()) {
            return;
        }
        if (cause instanceof MproxyProtocolException || cause instanceof CorruptedWebSocketFrameException
                || cause instanceof IOException) {
            logger.warn("closing tunnel {}: {}", ctx.channel(), cause.getMessage());
        } else {
            logger.warn("closing tunnel {} after an unexpected error", ctx.channel(), cause);
        }
        if (ctx.pipeline().get(WebSocketFrameCodec.class) == null) {
            ctx.close();
            return;
        }
        WebSocketCloseStatus status = cause instanceof MproxyProtocolException ? WebSocketCloseStatus.PROTOCOL_ERROR
                : cause instanceof CorruptedWebSocketFrameException
                        ? ((CorruptedWebSocketFrameException) cause).closeStatus()
                        : WebSocketCloseStatus.INTERNAL_SERVER_ERROR;
        String reason = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        ctx.writeAndFlush(new TunnelClose(status, reason)).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        // The tunnel is gone: every stream's socket closes now (telebit left them hanging).
        for (TunnelStream stream : new ArrayList<>(streams.values())) {
            close(stream, true);
        }
        ctx.fireChannelInactive();
    }

    // ---- helpers ----------------------------------------------------------------------------------------

    private void attach(TunnelStream stream, Channel endpoint) {
        stream.endpoint = endpoint;
        endpoint.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        endpoint.config().setWriteBufferWaterMark(limits.streamWaterMark());
        endpoint.closeFuture().addListener(f -> inLoop(() -> endpointClosed(stream)));
        endpoint.pipeline().addLast(new StreamEndpointHandler(this, stream));
        ByteBuf buf;
        while ((buf = stream.pending.poll()) != null) {
            endpoint.write(buf, endpoint.voidPromise());
        }
        stream.pendingBytes = 0;
        endpoint.flush();
        if (stream.peerEnded) {
            shutdownOutputAfterWrites(endpoint);
        }
        updateReading(stream);
    }

    private void updateReading(TunnelStream stream) {
        Channel endpoint = stream.endpoint;
        if (endpoint != null && !stream.closed) {
            endpoint.config().setAutoRead(!stream.pausedByPeer && !stream.endpointEnded
                    && ctx.channel().isWritable() && !handoverThrottled);
        }
    }

    private void finishIfDone(TunnelStream stream) {
        if (stream.peerEnded && stream.endpointEnded && !stream.closed) {
            remove(stream);
            Channel endpoint = stream.endpoint;
            endpoint.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Sends {@code error} for the stream and closes its socket at once. */
    private void fail(TunnelStream stream, String code, String message) {
        logger.info("{}: {} ({})", stream, message, code);
        sendError(stream.request, code, message);
        close(stream, true);
    }

    /** Removes the stream and closes its socket; {@code reset} drops unsent bytes with an RST. */
    private void close(TunnelStream stream, boolean reset) {
        remove(stream);
        Channel endpoint = stream.endpoint;
        if (endpoint != null) {
            if (reset) {
                endpoint.config().setOption(ChannelOption.SO_LINGER, 0);
            }
            endpoint.close();
        }
    }

    private TunnelStream add(StreamRequest request) {
        TunnelStream stream = new TunnelStream(request);
        streams.put(request.client(), stream);
        recentlyClosed.remove(request.client());
        return stream;
    }

    private void remove(TunnelStream stream) {
        if (!stream.closed) {
            stream.closed = true;
            streams.remove(stream.id(), stream);
            recentlyClosed.add(stream.id());
            stream.releasePending();
        }
    }

    private void sendError(StreamRequest request, String code, String message) {
        ctx.writeAndFlush(MproxyMessage.error(request.client(), request.servicePort(), request.name(), message,
                code));
    }

    private static MproxyMessage data(TunnelStream stream, ByteBuf body) {
        StreamRequest r = stream.request;
        return MproxyMessage.data(r.client(), r.service(), r.servicePort(), r.name(), body);
    }

    private static void shutdownOutputAfterWrites(Channel endpoint) {
        endpoint.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
            if (endpoint instanceof DuplexChannel && endpoint.isActive()) {
                ((DuplexChannel) endpoint).shutdownOutput();
            }
        });
    }

    /** Bytes waiting in a socket's write buffer: zero while writable, else at least the high water mark. */
    private long buffered(Channel endpoint) {
        return endpoint.isWritable() ? 0 : endpoint.bytesBeforeWritable() + limits.streamWaterMark().low();
    }

    void inLoop(Runnable task) {
        if (ctx.executor().inEventLoop()) {
            task.run();
        } else {
            ctx.executor().execute(task);
        }
    }

    static StreamAddress addressOf(Channel endpoint) {
        InetSocketAddress remote = (InetSocketAddress) endpoint.remoteAddress();
        String host = remote.getAddress().getHostAddress();
        int scope = host.indexOf('%');
        return new StreamAddress(remote.getAddress() instanceof Inet6Address ? "IPv6" : "IPv4",
                scope < 0 ? host : host.substring(0, scope), Integer.toString(remote.getPort()));
    }

    private static String describe(Throwable cause) {
        String message = cause.getMessage();
        return message == null ? cause.getClass().getSimpleName() : message;
    }
}
