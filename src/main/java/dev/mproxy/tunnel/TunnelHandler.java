package dev.mproxy.tunnel;

import dev.mproxy.guard.RemoteText;
import dev.mproxy.protocol.MessageType;
import dev.mproxy.protocol.MproxyMessage;
import dev.mproxy.protocol.MproxyProtocolException;
import dev.mproxy.protocol.StreamAddress;
import dev.mproxy.record.Direction;
import dev.mproxy.record.SessionInfo;
import dev.mproxy.relay.ChannelEnd;
import dev.mproxy.relay.EventLoops;
import dev.mproxy.relay.Recorder;
import dev.mproxy.relay.RecordingTap;
import dev.mproxy.relay.Relay;
import dev.mproxy.websocket.WebSocketClose;
import dev.mproxy.websocket.WebSocketFrameCodec;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.internal.ObjectUtil;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One end of a tunnel: the table of its streams and their flow control (protocol-spec/streams.md). It sits
 * on the tunnel channel above the M-PROXY codec. Each stream is joined to its socket by a {@link Relay}, the one
 * that joins every pair of endpoints, on the tunnel's event loop: the device connects its local sockets there,
 * and the gateway moves each public connection there before the stream opens.
 *
 * <p>Flow control, per stream: data from the peer goes to the stream's socket; when that socket's write
 * buffer passes its high water mark the relay stops reading the stream, which sends {@code pause}, and
 * {@code resume} once it drains. A {@code pause} from the peer, or the tunnel channel not being writable, stops
 * the relay reading the socket. A peer that keeps sending past {@link TunnelLimits#pauseIgnoredLimit()} after
 * {@code pause} loses that stream with {@code error}; nothing else is affected.
 *
 * <p>The gateway side opens streams with {@link #openStream}; the device side is given a {@link StreamOpener}
 * and opens them when a {@code connection} arrives. {@code control} messages are passed on up the pipeline.
 */
public final class TunnelHandler extends ChannelDuplexHandler {

    private static final InternalLogger logger = InternalLoggerFactory.getInstance(TunnelHandler.class);
    /** The access log's own logger ({@code dev.mproxy.access}), so it can be turned off on its own. */
    private static final InternalLogger accessLogger = InternalLoggerFactory.getInstance("dev.mproxy.access");

    /** How many closed stream ids are remembered; a stream's stragglers arrive within one round trip. */
    private static final int RECENTLY_CLOSED = 1024;

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
    /**
     * Streams the peer forgot (streams 3.6): out of the table, their ids free, until their sockets end. They count
     * against the stream limit, and the tunnel's loss does not cut them short.
     */
    private final Set<TunnelStream> forgotten = new HashSet<>();
    /** Streams that got data in the current read burst from the peer. */
    private final List<TunnelStream> burst = new ArrayList<>();
    private ChannelHandlerContext ctx;
    /** Records each stream when set; with the device's name for the files. */
    private Recorder recorder;
    private String device;
    /** Counts streams and bytes; replaced by {@link #meter(TunnelMeter)} before the first stream opens. */
    private TunnelMeter meter = TunnelMeter.unobserved();

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

    /**
     * Records every stream joined from now on (recording.md §6.8), its files named for {@code device}: the
     * authenticated device on the gateway, the token's subject on the device. Call on the tunnel's event loop
     * before streams open.
     */
    public void record(Recorder recorder, String device) {
        this.recorder = recorder;
        this.device = device;
    }

    /** Counts this tunnel's streams and bytes in {@code meter} from now on; call on the tunnel's event loop before streams open. */
    public void meter(TunnelMeter meter) {
        this.meter = ObjectUtil.checkNotNull(meter, "meter");
    }

    /** This tunnel's counters. */
    public TunnelMeter meter() {
        return meter;
    }

    /**
     * The streams with a socket, as they are now, for the admin API; taken on the tunnel's event loop, so callable
     * from any thread.
     */
    public Future<List<StreamSnapshot>> streams() {
        return ctx.executor().submit(() -> {
            List<StreamSnapshot> snapshots = new ArrayList<>(streams.size() + forgotten.size());
            for (TunnelStream stream : streams.values()) {
                snapshots.add(stream.snapshot());
            }
            for (TunnelStream stream : forgotten) {
                snapshots.add(stream.snapshot());
            }
            return snapshots;
        });
    }

    /** Names the device in the access log (one line per stream at its end); call before streams open. */
    public void nameDevice(String device) {
        this.device = device;
    }

    /** Whether this is the device's end, which opens streams when the gateway asks. */
    boolean isDeviceSide() {
        return opener != null;
    }

    /** Streams with a socket, those the peer forgot too; for draining and metrics, call on the tunnel's event loop. */
    public int streamCount() {
        return streams.size() + forgotten.size();
    }

    // ---- gateway side ----------------------------------------------------------------------------------

    /**
     * Carries a public connection as a new stream: sends {@code connection}, moves the connection to this
     * tunnel's event loop, then relays both ways. Callable from any thread. {@code endpoint} must have
     * {@code autoRead} off and allow half-closure; it is closed if the stream cannot be opened. {@code firstBytes},
     * if not null, is the stream's first data from the client (a peeked ClientHello or request head), relayed
     * (and recorded) before anything read after it; it is released by this call.
     */
    public void openStream(Channel endpoint, String service, String servicePort, String name, ByteBuf firstBytes) {
        openStream(endpoint, null, service, servicePort, name, firstBytes);
    }

    /**
     * {@link #openStream(Channel, String, String, String, ByteBuf)} for a connection that stands in for the public
     * client {@code client} (a node tunnel's stream, cluster 4.3): its header names {@code client}, not the
     * endpoint's own peer; null means the endpoint's peer.
     */
    public void openStream(Channel endpoint, StreamAddress client, String service, String servicePort, String name,
                           ByteBuf firstBytes) {
        ChannelHandlerContext ctx = this.ctx;
        ctx.executor().execute(() -> {
            StreamRequest request = new StreamRequest(client != null ? client : addressOf(endpoint), service,
                    servicePort, name);
            String refusal = !ctx.channel().isActive() ? "tunnel is closed"
                    : streams.containsKey(request.client()) ? "a live stream already has the id " + request.client()
                    : streamCount() >= limits.maxStreams()
                            ? "tunnel carries its maximum of " + limits.maxStreams() + " streams" : null;
            if (refusal != null) {
                if (streamCount() >= limits.maxStreams()) {
                    meter.streamLimitReached();
                }
                logger.info("refused public connection {}: {}", request, refusal);
                ReferenceCountUtil.release(firstBytes);
                endpoint.close();
                return;
            }
            TunnelStream stream = add(request);
            ctx.writeAndFlush(MproxyMessage.connection(request.client(), service, servicePort, name));
            EventLoops.move(endpoint, ctx.channel().eventLoop()).addListener(f -> {
                if (!f.isSuccess() || stream.isClosed()) {
                    ReferenceCountUtil.release(firstBytes);
                    endpoint.close();
                    if (!stream.isClosed()) {
                        logger.debug("{}: cannot move the public connection to the tunnel's loop", stream, f.cause());
                        fail(stream, StreamErrors.CONNECTION_RESET, "the public connection could not be served");
                    }
                    return;
                }
                join(stream, endpoint, firstBytes);
            });
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
                        stream.peerEnded();
                    }
                    break;
                case ERROR:
                    if (stream != null) {
                        onError(m, stream);
                    }
                    break;
                case PAUSE:
                case RESUME:
                    if (stream != null) {
                        stream.peerPaused(m.type() == MessageType.PAUSE);
                    }
                    break;
                default:
                    throw new Error("Shouldn't reach here (type: " + m.type() + ')');
            }
        } finally {
            m.release();
        }
    }

    /** The end of a read burst from the peer: each stream that got data flushes its socket once. */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        for (TunnelStream stream : burst) {
            stream.burstComplete();
        }
        burst.clear();
        ctx.fireChannelReadComplete();
    }

    private void onConnection(MproxyMessage m, TunnelStream existing) {
        StreamRequest request = new StreamRequest(m.address(), m.service(), m.servicePort(), m.name());
        if (opener == null) {
            sendError(request, StreamErrors.PROTOCOL, "a device may not open streams toward the gateway");
            return;
        }
        if (existing != null) {
            fail(existing, StreamErrors.PROTOCOL, "connection for a live stream id " + m.address());
            return;
        }
        if (streamCount() >= limits.maxStreams()) {
            meter.streamLimitReached();
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
            if (stream.isClosed()) {
                f.channel().close();
            } else if (f.isSuccess()) {
                join(stream, f.channel(), null);
            } else {
                Throwable cause = f.cause();
                logger.debug("{}: local connection failed", stream, cause);
                remove(stream);
                stream.releasePending();
                if (!stream.isForgotten()) {
                    sendError(request, StreamErrors.codeOf(cause), describe(cause));
                }
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
        try {
            if (stream.received(m.content())) {
                burst.add(stream);
            }
        } catch (StreamException broken) {
            fail(stream, broken.code(), broken.getMessage());
        }
    }

    /**
     * The peer's {@code error}: the stream is reset (streams 3.3), unless the peer's direction had ended; then the
     * peer has forgotten the stream, and the socket gets all the peer sent, then its end (streams 3.6).
     */
    private void onError(MproxyMessage m, TunnelStream stream) {
        String why = m.content().toString(StandardCharsets.UTF_8);
        if (stream.forgottenByPeer()) {
            logger.debug("{}: the peer forgot the stream after its end ({}); its socket gets all it sent", stream, why);
            forget(stream);
            return;
        }
        logger.debug("{} failed at the peer: {}", stream, why);
        remove(stream);
        stream.failed(new StreamException(StreamErrors.CONNECTION_RESET, "the peer failed the stream: " + why));
    }

    // ---- tunnel channel ----------------------------------------------------------------------------------

    /** The tunnel's writability gates every stream's socket (streams 4.3). */
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        for (TunnelStream stream : streams.values()) {
            stream.writabilityChanged();
        }
        ctx.fireChannelWritabilityChanged();
    }

    // ---- tunnel channel ----------------------------------------------------------------------------------

    /**
     * A corrupt frame or a failed tunnel socket ends this tunnel only; its streams close with it. On a
     * WebSocket the peer reads why in the close frame: 1002 for a broken protocol rule, 1011 otherwise.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!ctx.channel().isActive()) {
            return;
        }
        if (cause instanceof ClosedChannelException) {
            // Netty fails every write after our WebSocket close went out while it waits for the peer's: the
            // tunnel is closing already, and a line per stream write (74 for 200 open streams) says nothing
            logger.debug("tunnel {} is closing; a write was dropped", ctx.channel());
            ctx.close();
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
        ctx.writeAndFlush(new WebSocketClose(status, reason)).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        // The tunnel is gone: every stream's socket is reset now (telebit left them hanging).
        for (TunnelStream stream : new ArrayList<>(streams.values())) {
            remove(stream);
            stream.failed(new StreamException(StreamErrors.CONNECTION_RESET, "the tunnel closed"));
        }
        ctx.fireChannelInactive();
    }

    // ---- streams ----------------------------------------------------------------------------------------

    /** Joins the stream to its socket, now on this loop; {@code firstBytes} go first from the public client. */
    private void join(TunnelStream stream, Channel endpoint, ByteBuf firstBytes) {
        endpoint.config().setWriteBufferWaterMark(limits.streamWaterMark());
        ChannelEnd socket = ChannelEnd.of(endpoint);
        Relay.Listener finished = relay -> accessLog(stream.request, relay);
        RecordingTap tap = recorder == null ? null : tap(stream, endpoint);
        Relay relay = isDeviceSide() ? Relay.join(stream, socket, tap, finished)
                : Relay.join(socket, stream, tap, finished);
        if (firstBytes != null && firstBytes.isReadable()) {
            // through the socket's pipeline, so the relay takes them as the client's first read
            endpoint.pipeline().fireChannelRead(firstBytes).fireChannelReadComplete();
        } else {
            ReferenceCountUtil.release(firstBytes); // no empty data message goes out
        }
        stream.joined(relay);
    }

    /**
     * The access log: one line per stream at its end, on both sides, with the public client, what it reached,
     * the bytes each way, how long it lasted and how it ended.
     */
    private void accessLog(StreamRequest r, Relay relay) {
        if (!accessLogger.isInfoEnabled()) {
            return;
        }
        StreamAddress client = r.client();
        String remote = client.address().indexOf(':') >= 0 ? '[' + client.address() + "]:" + client.port()
                : client.address() + ':' + client.port();
        accessLogger.info("stream device={} kind={} remote={} port={} name={} from_client={} from_server={} "
                + "duration_ms={} end={}", device == null ? "-" : device, r.service().isEmpty() ? "-" : r.service(),
                remote, r.servicePort().isEmpty() ? "-" : r.servicePort(), r.name().isEmpty() ? "-" : r.name(),
                relay.bytesFrom(Direction.FROM_CLIENT), relay.bytesFrom(Direction.FROM_SERVER),
                relay.durationNanos() / 1_000_000,
                relay.failure() == null ? "closed" : "failed error=" + RemoteText.quoted(relay.failure()));
    }

    /**
     * The stream's recording, opened now. The client is the public one, known to the device from the stream's
     * header; the server is the local service on the device, and the device's tunnel address on the gateway.
     */
    private RecordingTap tap(TunnelStream stream, Channel endpoint) {
        StreamRequest r = stream.request;
        InetSocketAddress client = isDeviceSide() ? socketAddress(r.client())
                : (InetSocketAddress) endpoint.remoteAddress();
        InetSocketAddress server = (InetSocketAddress) (isDeviceSide() ? endpoint.remoteAddress()
                : ctx.channel().remoteAddress());
        // the service is a label: an .mcrec protocol is MeshCentral's number only (recording 6.8)
        RecordingTap tap = recorder.streamTap(ctx.executor(), null, device,
                r.service() + '-' + (r.name().isEmpty() ? r.servicePort() : r.name()), client, server, null,
                Map.of("service", r.service(), "servicePort", r.servicePort(), "name", r.name(), "recordedBy",
                        isDeviceSide() ? "device" : "gateway"));
        tap.opened();
        return tap;
    }

    /** A stream header's client as a socket address; never a name lookup, which would block this loop. */
    private static InetSocketAddress socketAddress(StreamAddress client) {
        int port;
        try {
            port = Integer.parseInt(client.port());
        } catch (NumberFormatException e) {
            port = 0;
        }
        return SessionInfo.address(client.address(), port);
    }

    /** Sends {@code error} for the stream and resets its socket. */
    private void fail(TunnelStream stream, String code, String message) {
        logger.info("{}: {} ({})", stream, message, code);
        if (!stream.isForgotten()) {
            sendError(stream.request, code, message);
        }
        remove(stream);
        stream.failed(new StreamException(code, message));
    }

    private TunnelStream add(StreamRequest request) {
        TunnelStream stream = new TunnelStream(request, this, limits, meter);
        streams.put(request.client(), stream);
        meter.streamOpened(stream.kind);
        recentlyClosed.remove(request.client());
        return stream;
    }

    /** Takes the stream out of the table; its stragglers from the peer are dropped quietly from now on. */
    void remove(TunnelStream stream) {
        if (stream.removed()) {
            meter.streamClosed(stream.kind);
            streams.remove(stream.id(), stream);
            forgotten.remove(stream);
            recentlyClosed.add(stream.id());
        }
    }

    /** The peer forgot the stream: its id is free at once (streams 2.2), the stream lives on until its socket ends. */
    private void forget(TunnelStream stream) {
        streams.remove(stream.id(), stream);
        forgotten.add(stream);
        recentlyClosed.add(stream.id());
    }

    // ---- what streams send --------------------------------------------------------------------------------

    void write(MproxyMessage message) {
        ctx.write(message, ctx.voidPromise());
    }

    void flush() {
        ctx.flush();
    }

    void writeAndFlush(MproxyMessage message) {
        ctx.writeAndFlush(message, ctx.voidPromise());
    }

    boolean isWritable() {
        return ctx.channel().isWritable();
    }

    EventExecutor executor() {
        return ctx.executor();
    }

    void sendError(StreamRequest request, String code, String message) {
        writeAndFlush(MproxyMessage.error(request.client(), request.servicePort(), request.name(), message, code));
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
