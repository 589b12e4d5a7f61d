package dev.mproxy.gateway;

import dev.mproxy.guard.Refusal;
import dev.mproxy.guard.RemoteText;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ByteProcessor;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Routes a connection on the shared HTTP port by the {@code Host} of its first request
 * (protocol-spec/routing.md §3). Reads the request head, up to {@link #MAX_HEAD} bytes and the timeout, and
 * hands every byte read, unchanged, to the device serving the host. Later requests on the same connection go
 * to the same device.
 */
final class HttpHostRouter extends ByteToMessageDecoder {

    /** Largest request head accepted before the route is known (routing 3.2). */
    static final int MAX_HEAD = 16 * 1024;

    private final DeviceRegistry registry;
    private final int servicePort;
    private final long timeoutMillis;
    private final GatewayObserver observer;
    private ScheduledFuture<?> timeout;
    /** Where the search for the blank line resumes: bytes before it were searched already. */
    private int searched;

    HttpHostRouter(DeviceRegistry registry, int servicePort, long timeoutMillis, GatewayObserver observer) {
        this.observer = observer;
        this.registry = registry;
        this.servicePort = servicePort;
        this.timeoutMillis = timeoutMillis;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        timeout = ctx.executor().schedule(() -> respond(ctx, 408, "Request Timeout",
                "no complete request head within " + timeoutMillis / 1000 + " s"), timeoutMillis,
                TimeUnit.MILLISECONDS);
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        timeout.cancel(false);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int limit = Math.min(in.readableBytes(), MAX_HEAD);
        int from = Math.max(0, searched - 3);
        int end = in.forEachByte(in.readerIndex() + from, limit - from, new BlankLineFinder());
        // only the head: the body after it is the client's bytes for the device, whatever they are
        if (hasBareLineFeed(in, from, end < 0 ? limit : end + 1 - in.readerIndex())) {
            // routing 3.5: an LF-only request would otherwise wait for the 408
            respond(ctx, 400, "Bad Request", "bare LF in the request head (expected: CRLF line endings)");
            return;
        }
        if (end < 0) {
            searched = limit;
            if (limit == MAX_HEAD) {
                respond(ctx, 431, "Request Header Fields Too Large", "the request head exceeds " + MAX_HEAD
                        + " bytes");
            }
            return;
        }
        RequestHead head;
        try {
            head = RequestHead.parse(in.toString(in.readerIndex(), end + 1 - in.readerIndex(),
                    StandardCharsets.ISO_8859_1));
        } catch (IllegalArgumentException e) {
            respond(ctx, 400, "Bad Request", e.getMessage());
            return;
        }
        DeviceSession device = registry.route(head.host());
        ClusterMember cluster = registry.cluster();
        if (device == null && cluster != null && cluster.servesName(head.host())) {
            StreamHandoff.toCluster(ctx, in, cluster, "http", servicePort, head.host()); // cluster 5.1
            return;
        }
        if (device == null) {
            String cut = cluster == null ? null : cluster.unavailable(); // another node's device may serve it (4.6)
            observer.refused(RefusalReason.UNKNOWN_NAME);
            registry.guards().refusals().refuse(Refusal.UNKNOWN_NAME, "HTTP request from "
                    + ctx.channel().remoteAddress() + ": " + RemoteText.quoted(head.host())
                    + (cut == null ? "" : "; " + cut));
            respond(ctx, 502, "Bad Gateway", cut == null ? "no device serving this host is connected"
                    : "no device serving this host is connected to this node, and the cluster's state is "
                            + "unavailable (cluster 4.6)");
            return;
        }
        StreamHandoff.toDevice(ctx, in, device, "http", servicePort, head.host());
    }


    /** Limits 5.3: whatever a client's bytes make fail here is its own doing: one rate-limited line, no trace. */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable root = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (!(root instanceof IOException)) {
            registry.guards().refusals().refuse(Refusal.UNROUTABLE, "HTTP connection from "
                    + ctx.channel().remoteAddress() + ": " + root.getClass().getSimpleName() + ' '
                    + RemoteText.quoted(root.getMessage()));
        }
        ctx.close();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        super.userEventTriggered(ctx, evt);
        if (evt instanceof ChannelInputShutdownEvent && !ctx.isRemoved()) {
            ctx.close(); // the client stopped sending before its request head was complete
        }
    }

    /** Answers and closes; nothing of the request reaches a device. */
    private void respond(ChannelHandlerContext ctx, int status, String reason, String detail) {
        if (!ctx.channel().isActive()) {
            return;
        }
        if (status != 502) {
            observer.refused(RefusalReason.BAD_REQUEST); // 502 was counted as an unknown name
        }
        ctx.channel().config().setAutoRead(false);
        byte[] body = ("mproxy: " + detail + "\n").getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + status + ' ' + reason + "\r\nContent-Type: text/plain; charset=utf-8\r\n"
                + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n";
        ByteBuf response = ctx.alloc().buffer(head.length() + body.length);
        ByteBufUtil.writeAscii(response, head);
        response.writeBytes(body);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        internalBuffer().skipBytes(internalBuffer().readableBytes());
    }

    /** Whether a LF without its CR lies in bytes {@code from} to {@code limit} after the reader index. */
    private static boolean hasBareLineFeed(ByteBuf in, int from, int limit) {
        int start = in.readerIndex();
        for (int i = from; i < limit; i++) {
            if (in.getByte(start + i) == '\n' && (i == 0 || in.getByte(start + i - 1) != '\r')) {
                return true;
            }
        }
        return false;
    }

    /** Finds the LF that ends {@code CRLF CRLF}, the blank line closing a request head. */
    private static final class BlankLineFinder implements ByteProcessor {
        private int state; // how much of CR LF CR LF has been seen

        @Override
        public boolean process(byte value) {
            state = value == '\r' ? (state == 2 ? 3 : 1) : value == '\n' && (state == 1 || state == 3) ? state + 1 : 0;
            return state != 4;
        }
    }
}
