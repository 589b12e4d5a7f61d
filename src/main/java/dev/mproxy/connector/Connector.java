package dev.mproxy.connector;

import com.auth0.jwt.JWT;
import com.auth0.jwt.exceptions.JWTDecodeException;
import com.auth0.jwt.interfaces.DecodedJWT;
import dev.mproxy.config.Durations;
import dev.mproxy.config.GatewayUris;
import dev.mproxy.guard.RemoteText;
import dev.mproxy.tls.TlsFailures;
import dev.mproxy.transport.Drain;
import dev.mproxy.transport.Transport;
import dev.mproxy.tunnel.ControlMessages;
import dev.mproxy.tunnel.Grant;
import dev.mproxy.tunnel.TunnelHandler;
import dev.mproxy.tunnel.TunnelPipeline;
import dev.mproxy.websocket.WebSocketClose;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.util.AttributeKey;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The device side: keeps one WebSocket to the gateway, authenticated with the device token, and opens each
 * stream the gateway sends to its local service. When the WebSocket drops or cannot be opened it tries again
 * after {@link Backoff}'s delay, re-authenticating and re-claiming its ports each time. The token goes as
 * {@code Authorization: Basic} at the upgrade and in-band after {@code hello} (control 1.3, 2.3): the two ways
 * both this project's gateway and telebit's relay read it.
 *
 * <p>A failure that retrying cannot mend (a refused token, no endpoint at the path, an untrusted certificate, a
 * scheme that does not match the port, or a newer connection of the same device, control 2.6, 3.2) is logged once
 * and ends the connector: {@link #stopped()} completes with a {@link ConnectorFailure}. Anything else is
 * retried, and logged when it differs from the last failure, not at every attempt.
 */
public final class Connector implements AutoCloseable {

    private static final InternalLogger logger = InternalLoggerFactory.getInstance(Connector.class);

    /** Why a connection closed, when something said so before it did: the reconnect logs it. */
    private static final AttributeKey<String> WHY_CLOSED = AttributeKey.valueOf(Connector.class, "whyClosed");

    private final ConnectorConfig config;
    private final Consumer<Grant> onGrant;
    private final EventLoopGroup group = Transport.newGroup();
    private final Backoff backoff;
    private final LocalTargets targets;
    /** Names this device in recordings: the token's subject, read without checking (the gateway checks it). */
    private final String device;
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private volatile boolean closed;
    private volatile Channel channel;
    /** The gateway's last grant, which a reload's mappings are checked against. */
    private volatile Grant lastGrant;
    /** The tunnel on {@link #channel} once its handshake is done. */
    private volatile TunnelHandler tunnel;
    /** The last transient failure logged: the same one again is not logged at every attempt. */
    private volatile String lastProblem;
    /** The token presented; from {@link ConnectorConfig#tokenFile()} again before each reconnect, if set. */
    private volatile String token;
    /** Which of the config's gateways is dialed next; the next one each time a tunnel closes or fails (cluster 7.1). */
    private int turn;

    /** {@code onGrant} sees each {@code grant} the gateway sends: the connector is then serving. */
    public Connector(ConnectorConfig config, Consumer<Grant> onGrant) {
        this.config = config;
        this.onGrant = onGrant;
        this.backoff = new Backoff(config.maxBackoff());
        this.targets = new LocalTargets(config.mappings(), 10_000);
        this.device = deviceOf(config.token());
        this.token = config.token();
    }

    /** Starts dialing; returns at once. */
    public Connector start() {
        connect();
        return this;
    }

    /**
     * Completes exceptionally with a {@link ConnectorFailure} when the connector stops for good by itself;
     * normally after {@link #close()}.
     */
    public CompletableFuture<Void> stopped() {
        return stopped;
    }

    private void connect() {
        if (closed || stopped.isDone()) {
            return;
        }
        List<URI> gateways = config.gateways();
        URI gateway = gateways.get(Math.floorMod(turn, gateways.size()));
        String host = gateway.getHost();
        int port = gateway.getPort() > 0 ? gateway.getPort() : GatewayUris.isSecure(gateway) ? 443 : 80;
        DefaultHttpHeaders headers = new DefaultHttpHeaders();
        headers.set(HttpHeaderNames.AUTHORIZATION, basic(token));
        WebSocketClientProtocolConfig ws = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(gateway)
                .version(WebSocketVersion.V13)
                .customHeaders(headers)
                .maxFramePayloadLength(TunnelPipeline.MAX_FRAME_PAYLOAD)
                .handshakeTimeoutMillis(10_000)
                .build();
        new Bootstrap().group(group).channel(Transport.socketChannel())
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ChannelPipeline p = ch.pipeline();
                        if (config.tls() != null) {
                            p.addLast(TunnelPipeline.TLS, config.tls().newHandler(ch.alloc(), host, port));
                        }
                        p.addLast(new HttpClientCodec(), new HttpObjectAggregator(64 * 1024), new RefusalReader(),
                                new WebSocketClientProtocolHandler(ws), new TunnelInstaller(gateway));
                    }
                })
                .connect(host, port)
                .addListener((ChannelFutureListener) f -> {
                    if (!f.isSuccess()) {
                        reconnectLater("cannot reach the gateway " + gateway + ": " + TlsFailures.describe(f.cause()));
                        return;
                    }
                    channel = f.channel();
                    f.channel().closeFuture().addListener(c -> {
                        String why = f.channel().attr(WHY_CLOSED).get();
                        reconnectLater(why != null ? why : "the connection to the gateway closed");
                    });
                });
    }

    /** Tries again after the backoff's delay, saying why when the reason is new. */
    private void reconnectLater(String why) {
        if (closed || stopped.isDone()) {
            return;
        }
        long delay = backoff.nextDelayMillis();
        List<URI> gateways = config.gateways();
        turn = Math.floorMod(turn + 1, gateways.size()); // the next node of the cluster, or the same gateway again
        if (!why.equals(lastProblem)) {
            lastProblem = why;
            logger.warn("gateway={} {}; retrying with backoff (first in {} ms, at most every {})",
                    gateways.get(turn), why, delay, Durations.format(config.maxBackoff()));
        } else {
            logger.debug("gateway={} {}; retrying in {} ms", gateways.get(turn), why, delay);
        }
        group.schedule(config.tokenFile() == null ? this::connect : this::rereadTokenThenConnect, delay,
                TimeUnit.MILLISECONDS);
    }

    /**
     * Limits 4.3: a gateway closes a tunnel whose token expired; the token file may hold a renewed one by now.
     * Read off the event loop; an unreadable file keeps the token we have.
     */
    private void rereadTokenThenConnect() {
        ForkJoinPool.commonPool().execute(() -> {
            try {
                String fresh = Files.readString(config.tokenFile(), StandardCharsets.UTF_8).trim();
                if (!fresh.isEmpty() && !fresh.equals(token)) {
                    logger.info("using the token now in {}", config.tokenFile());
                    token = fresh;
                }
            } catch (IOException e) {
                logger.warn("cannot read {} ({}); reconnecting with the token read before", config.tokenFile(),
                        e.getMessage());
            }
            group.execute(this::connect);
        });
    }

    /** Stops for good: retrying cannot help until the user changes something. Logged once, here. */
    private void stop(ChannelHandlerContext ctx, ConnectorFailure.Kind kind, String message) {
        ConnectorFailure failure = new ConnectorFailure(kind, message);
        if (stopped.completeExceptionally(failure)) {
            logger.error("gateway={} {}", config.gateway(), message);
        }
        ctx.close();
    }

    /** The mappings new streams are opened by: the config's, or a reload's. */
    public Mappings mappings() {
        return targets.mappings();
    }

    /**
     * Opens new streams by {@code mappings} from now on, without touching the tunnel or the streams open on it
     * (a reload, SIGHUP); logs what it now serves and what does not match the gateway's last grant.
     */
    public void updateMappings(Mappings mappings) {
        targets.update(mappings);
        Grant grant = lastGrant;
        if (grant == null) {
            logger.info("device={} reloaded mappings: {}", device, mappings);
            return;
        }
        logger.info("device={} reloaded mappings: serving {}", device,
                String.join(", ", mappings.served(grant, config.gateway().getHost())));
        for (String mismatch : mappings.mismatches(grant)) {
            logger.warn("device={} {}", device, mismatch);
        }
    }

    /**
     * Refuses new streams and waits until the open ones have finished, {@code timeout} has passed, or
     * {@code forced} says to stop waiting; the tunnel stays meanwhile. {@link #close()} ends the rest. Logs each
     * phase.
     *
     * @return how many streams were still open when it stopped waiting
     */
    public int drain(Duration timeout, BooleanSupplier forced) {
        targets.drain();
        int open = openStreams();
        logger.info("device={} stopping: new streams are refused; {} open streams get up to {} to finish", device,
                open, Durations.format(timeout));
        open = Drain.await(open, this::openStreams, timeout, forced);
        if (open == 0) {
            logger.info("device={} stopping: every stream finished", device);
        } else {
            logger.warn("device={} stopping: cutting {} streams still open", device, open);
        }
        return open;
    }

    /** The streams of the tunnel, counted on its event loop; 0 without a tunnel. */
    public int openStreams() {
        Channel ch = channel;
        TunnelHandler t = tunnel;
        if (ch == null || t == null || !ch.isActive()) {
            return 0;
        }
        try {
            return ch.eventLoop().submit(t::streamCount).get(5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException | RejectedExecutionException e) {
            return 0; // the tunnel closed meanwhile, and its streams with it
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        stopped.complete(null);
        Channel ch = channel;
        if (ch != null) {
            if (tunnel != null && ch.isActive()) {
                // the gateway learns why at once, rather than from a dropped socket (1001: going away)
                ch.writeAndFlush(new WebSocketClose(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE, "the device is "
                        + "stopping")).awaitUninterruptibly(2, TimeUnit.SECONDS);
            }
            ch.close().syncUninterruptibly();
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        if (config.recorder() != null) {
            config.recorder().close(); // after the tunnel: its streams' recordings are finished by now
        }
    }

    /**
     * {@code Authorization: Basic} with the token as the password: telebit's relay reads only this header (or
     * {@code ?access_token=}, which proxies log), and this project's gateway reads it as well as Bearer.
     */
    static String basic(String token) {
        return "Basic " + Base64.getEncoder().encodeToString(("device:" + token).getBytes(StandardCharsets.UTF_8));
    }

    /** The device id {@code token} claims ({@code sub}, else telebit's {@code id}), read without checking. */
    public static String deviceOf(String token) {
        try {
            DecodedJWT jwt = JWT.decode(token);
            String subject = jwt.getSubject() != null ? jwt.getSubject() : jwt.getClaim("id").asString();
            return subject == null ? "device" : subject;
        } catch (JWTDecodeException e) {
            return "device";
        }
    }


    /** The code of the gateway's answer to plain HTTP on its TLS device port (control 3.2). */
    private static final String TLS_REQUIRED = "E_TLS_REQUIRED";

    /** A refusal's JSON body is short; anything longer is not our gateway's. */
    private static final int MAX_REFUSAL_BODY = 64 * 1024;

    /**
     * Reads why the gateway refused the upgrade, from its status and JSON {@code message}, before Netty's
     * handshaker drops the body: 401 and 403 refuse the token, 404 and any other answer that is not an upgrade
     * mean there is no tunnel endpoint there. 5xx (a gateway restarting behind a proxy) is tried again.
     */
    private final class RefusalReader extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof FullHttpResponse)
                    || HttpResponseStatus.SWITCHING_PROTOCOLS.equals(((FullHttpResponse) msg).status())) {
                ctx.pipeline().remove(this);
                ctx.fireChannelRead(msg);
                return;
            }
            FullHttpResponse response = (FullHttpResponse) msg;
            HttpResponseStatus status = response.status();
            String body = response.content().toString(StandardCharsets.UTF_8);
            response.release();
            String message = ControlMessages.errorMessage(body);
            String reason = message != null ? RemoteText.quoted(message) : body.isBlank() ? "no reason given"
                    : "not an mproxy gateway's answer";
            int code = status.code();
            if (TLS_REQUIRED.equals(ControlMessages.errorCode(body))) {
                stop(ctx, ConnectorFailure.Kind.WRONG_SCHEME, "the gateway speaks TLS on port " + config.gatewayPort()
                        + ": use wss:// instead of ws:// in --gateway");
            } else if (code == 401 || code == 403) {
                stop(ctx, ConnectorFailure.Kind.TOKEN_REFUSED, "the gateway refused the token (" + status + ": "
                        + reason + "); make a new one on the gateway with 'mproxy token --device " + device
                        + " ...' and pass it with --token-file or MPROXY_TOKEN");
            } else if (code >= 500 || code == 429) {
                ctx.channel().attr(WHY_CLOSED).set("the gateway answered " + status + " (" + reason + ")");
                ctx.close();
            } else {
                stop(ctx, ConnectorFailure.Kind.NO_ENDPOINT, "no device endpoint at " + config.gateway() + " ("
                        + status + ": " + reason + "); check the --gateway URL: the gateway's banner prints it "
                        + "(e.g. wss://HOST:7443, path /)");
            }
        }
    }

    /** Sees the gateway's close frame before Netty's protocol handler drops it: 4000 means replaced (control 2.6). */
    private final class CloseWatcher extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof CloseWebSocketFrame) {
                CloseWebSocketFrame close = (CloseWebSocketFrame) msg;
                ctx.channel().attr(WHY_CLOSED).set("the gateway closed the tunnel: " + close.statusCode()
                        + (close.reasonText().isEmpty() ? "" : " " + RemoteText.quoted(close.reasonText())));
            }
            if (msg instanceof CloseWebSocketFrame && ((CloseWebSocketFrame) msg).statusCode() == REPLACED) {
                String reason = ((CloseWebSocketFrame) msg).reasonText();
                stop(ctx, ConnectorFailure.Kind.REPLACED, "device " + device + " was taken over: "
                        + RemoteText.quoted(reason) + "; stopping so the two do not take turns. Give each device "
                        + "its own id (its own token), or stop the other connector");
            }
            ctx.fireChannelRead(msg);
        }
    }

    /** WebSocket close status of a tunnel replaced by a newer connection of its device (control 2.6). */
    public static final int REPLACED = 4000;

    /** Becomes a tunnel once the handshake is done; a refused or failed handshake stops or retries. */
    private final class TunnelInstaller extends ChannelInboundHandlerAdapter {
        private final URI gateway;

        TunnelInstaller(URI gateway) {
            this.gateway = gateway;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt == ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
                ChannelHandlerContext frames = ctx.pipeline().context(WebSocketFrameDecoder.class);
                if (frames != null) {
                    ctx.pipeline().addAfter(frames.name(), null, new CloseWatcher());
                }
                TunnelHandler tunnel = TunnelHandler.device(config.limits(), targets);
                tunnel.nameDevice(device);
                Connector.this.tunnel = tunnel;
                if (config.recorder() != null) {
                    tunnel.record(config.recorder(), device);
                }
                TunnelPipeline.install(ctx.pipeline(), tunnel,
                        new DeviceControl(token, gateway.toString(), grant -> {
                            backoff.reset();
                            lastProblem = null;
                            lastGrant = grant;
                            for (String mismatch : targets.mappings().mismatches(grant)) {
                                logger.warn("device={} {}", device, mismatch);
                            }
                            onGrant.accept(grant);
                        }), config.pingInterval(), config.pingTimeout());
                ctx.pipeline().remove(this);
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (hasCause(cause, NotSslRecordException.class)) {
                stop(ctx, ConnectorFailure.Kind.WRONG_SCHEME, "the gateway does not speak TLS on port "
                        + config.gatewayPort() + ": use ws:// instead of wss:// in --gateway (or the gateway's TLS "
                        + "port)");
            } else if (hasCause(cause, CertificateException.class)) {
                stop(ctx, ConnectorFailure.Kind.UNTRUSTED_CERTIFICATE, "the gateway's certificate is not trusted: "
                        + TlsFailures.describe(cause) + "; pass the fingerprint the gateway prints at start "
                        + "(--fingerprint), or --ca with the CA that issued its certificate");
            } else {
                ctx.channel().attr(WHY_CLOSED).set("the tunnel failed: " + TlsFailures.describe(cause));
                ctx.close();
            }
        }
    }

    private static boolean hasCause(Throwable failure, Class<? extends Throwable> type) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }
}
