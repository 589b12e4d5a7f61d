package dev.mproxy.admin;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Routes one admin connection's requests (protocol-spec/admin.md): checks the admin token where one is needed
 * (admin 2.3), answers from the {@link AdminApi}, and serves the dashboard page and the server-sent events that
 * keep it live.
 */
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final InternalLogger logger = InternalLoggerFactory.getInstance(AdminHandler.class);

    /** How often {@code /api/events} sends the gateway's state (admin 4.7). */
    static final long EVENT_INTERVAL_MILLIS = 1000;
    private static final byte[] DASHBOARD = resource("dashboard.html");

    private final AdminApi api;
    private ScheduledFuture<?> events;

    AdminHandler(AdminApi api) {
        this.api = api;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) throws IOException {
        if (events != null) {
            return; // an event stream is one response; nothing more is read on its connection
        }
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        String path = uri.rawPath();
        HttpMethod method = request.method();
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        // open paths: health checks for load balancers and systemd, and the page that asks for the token (admin 2.3)
        switch (path) {
            case "/healthz":
                respond(ctx, keepAlive, onlyGet(method, api::health));
                return;
            case "/readyz":
                respond(ctx, keepAlive, onlyGet(method, api::readiness));
                return;
            case "/":
            case "/dashboard":
                respond(ctx, keepAlive, onlyGet(method, () -> new AdminResponse(200, "text/html; charset=utf-8",
                        DASHBOARD)));
                return;
            default:
                break;
        }
        AdminResponse refused = authenticate(request);
        if (refused != null) {
            respond(ctx, keepAlive, refused);
            return;
        }
        List<String> segments = segments(path);
        if (path.equals("/metrics")) {
            respond(ctx, keepAlive, onlyGet(method, api::metrics));
        } else if (path.equals("/api/status")) {
            respond(ctx, keepAlive, onlyGet(method, api::status));
        } else if (path.equals("/api/devices")) {
            respond(ctx, keepAlive, onlyGet(method, api::devices));
        } else if (path.equals("/api/events")) {
            if (!HttpMethod.GET.equals(method)) {
                respond(ctx, keepAlive, notAllowed("GET"));
            } else {
                startEvents(ctx);
            }
        } else if (path.equals("/api/tokens/revoked")) {
            respond(ctx, keepAlive, onlyGet(method, api::revokedTokens));
        } else if (path.equals("/api/tokens/revoke")) {
            if (!HttpMethod.POST.equals(method)) {
                respond(ctx, keepAlive, notAllowed("POST"));
            } else {
                respond(ctx, keepAlive, api.revoke(ByteBufUtil.getBytes(request.content())));
            }
        } else if (segments.size() == 4 && segments.get(0).equals("api") && segments.get(1).equals("devices")
                && segments.get(3).equals("streams")) {
            if (!HttpMethod.GET.equals(method)) {
                respond(ctx, keepAlive, notAllowed("GET"));
            } else {
                respondLater(ctx, keepAlive, api.streams(segments.get(2), ctx.executor()));
            }
        } else if (segments.size() == 4 && segments.get(0).equals("api") && segments.get(1).equals("devices")
                && segments.get(3).equals("disconnect")) {
            if (!HttpMethod.POST.equals(method)) {
                respond(ctx, keepAlive, notAllowed("POST"));
            } else {
                respondLater(ctx, keepAlive, api.disconnect(segments.get(2), ctx.executor()));
            }
        } else {
            respond(ctx, keepAlive, AdminResponse.error(404, "E_NOT_FOUND", "no admin endpoint at " + path
                    + " (see protocol-spec/admin.md: /metrics, /api/status, /api/devices, ...)"));
        }
    }

    /**
     * The admin token as {@code Authorization: Bearer}; null when it is right, else the 401 saying what was wrong
     * (admin 2.3, 2.4). A device token is named as such: it never opens the admin API.
     */
    private AdminResponse authenticate(FullHttpRequest request) {
        String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (authorization == null) {
            return AdminResponse.error(401, "E_ADMIN_TOKEN_REQUIRED", "no Authorization header (expected: "
                    + "Authorization: Bearer <the admin token in the gateway's data dir, " + AdminToken.FILE_NAME + ">)");
        }
        String[] parts = authorization.strip().split("\\s+", 2);
        if (parts.length != 2 || !parts[0].equalsIgnoreCase("Bearer")) {
            return AdminResponse.error(401, "E_ADMIN_TOKEN_REQUIRED", "Authorization is not a Bearer token "
                    + "(expected: Authorization: Bearer <admin token>)");
        }
        String presented = parts[1].strip();
        if (api.token().matches(presented)) {
            return null;
        }
        if (presented.chars().filter(c -> c == '.').count() == 2) {
            return AdminResponse.error(401, "E_DEVICE_TOKEN", "a device token does not open the admin API "
                    + "(expected: the admin token in the gateway's data dir, " + AdminToken.FILE_NAME + ')');
        }
        return AdminResponse.error(401, "E_ADMIN_TOKEN_INVALID", "the admin token is not this gateway's (expected: "
                + "the content of " + AdminToken.FILE_NAME + " in its data dir)");
    }

    // ---- server-sent events --------------------------------------------------------------------------------------

    /** {@code /api/events}: the gateway's status and devices, once a second, until the client goes (admin 4.7). */
    private void startEvents(ChannelHandlerContext ctx) {
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(head);
        sendEvent(ctx);
        events = ctx.executor().scheduleAtFixedRate(() -> sendEvent(ctx), EVENT_INTERVAL_MILLIS,
                EVENT_INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void sendEvent(ChannelHandlerContext ctx) {
        if (!ctx.channel().isActive()) {
            return;
        }
        if (!ctx.channel().isWritable()) {
            return; // a slow reader skips a second rather than piling them up
        }
        String status = new String(api.status().body(), StandardCharsets.UTF_8).replace("\n", "");
        String devices = new String(api.devices().body(), StandardCharsets.UTF_8).replace("\n", "");
        String event = "event: state\ndata: {\"status\":" + status + ",\"devices\":" + devices + "}\n\n";
        ByteBuf bytes = ByteBufUtil.writeUtf8(ctx.alloc(), event);
        ctx.writeAndFlush(new io.netty.handler.codec.http.DefaultHttpContent(bytes));
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent && events == null) {
            ctx.close(); // an idle keep-alive connection; event streams are never idle
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (events != null) {
            events.cancel(false);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        logger.debug("admin connection {} failed", ctx.channel(), cause);
        ctx.close();
    }

    // ---- responses -----------------------------------------------------------------------------------------------

    /** A call that only answers {@code GET} (and {@code HEAD}, its head only). */
    private interface Call {
        AdminResponse answer() throws IOException;
    }

    private static AdminResponse onlyGet(HttpMethod method, Call call) throws IOException {
        return HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method) ? call.answer() : notAllowed("GET");
    }

    private static AdminResponse notAllowed(String allowed) {
        return AdminResponse.error(405, "E_METHOD_NOT_ALLOWED", "this endpoint answers " + allowed + " only");
    }

    private static void respondLater(ChannelHandlerContext ctx, boolean keepAlive, Future<AdminResponse> answer) {
        answer.addListener(f -> {
            if (f.isSuccess()) {
                respond(ctx, keepAlive, answer.getNow());
            } else {
                respond(ctx, keepAlive, AdminResponse.error(500, "E_INTERNAL", String.valueOf(f.cause())));
            }
        });
    }

    static void respond(ChannelHandlerContext ctx, boolean keepAlive, AdminResponse answer) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(answer.status()), Unpooled.wrappedBuffer(answer.body()));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, answer.contentType())
                .setInt(HttpHeaderNames.CONTENT_LENGTH, answer.body().length)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
                .set("X-Content-Type-Options", "nosniff");
        if (answer.contentType().startsWith("text/html")) {
            // the dashboard: its own inline script and style, talking to this listener only
            response.headers().set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; "
                    + "style-src 'unsafe-inline'; connect-src 'self'; img-src data:; frame-ancestors 'none'");
        }
        if (answer.status() == 401) {
            response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"mproxy admin\"");
        }
        HttpUtil.setKeepAlive(response, keepAlive);
        ctx.writeAndFlush(response).addListener(keepAlive ? ChannelFutureListener.CLOSE_ON_FAILURE
                : ChannelFutureListener.CLOSE);
    }

    /** The path's segments, each percent-decoded: a device id may hold any character but a control one. */
    static List<String> segments(String rawPath) {
        String[] raw = rawPath.split("/", -1);
        return Arrays.stream(raw).skip(1).map(QueryStringDecoder::decodeComponent).toList();
    }

    private static byte[] resource(String name) {
        try (InputStream in = AdminHandler.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("resource " + name + " is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("resource " + name + " cannot be read", e);
        }
    }
}
