package dev.mproxy.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mproxy.auth.DeviceToken;
import dev.mproxy.auth.InvalidTokenException;
import dev.mproxy.auth.TokenVerifier;
import dev.mproxy.protocol.MproxyMessage;
import dev.mproxy.relay.Recorder;
import dev.mproxy.tunnel.ControlHandler;
import dev.mproxy.tunnel.ControlMessages;
import dev.mproxy.tunnel.TunnelHandler;
import dev.mproxy.websocket.WebSocketClose;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One device's tunnel as the gateway sees it: the control channel as telebit's relay spoke it
 * (protocol-spec/control.md) — {@code hello} on connect, {@code add_token}, replies, {@code grant} — and the
 * device's place in the {@link DeviceRegistry} once authenticated.
 */
final class DeviceSession extends ControlHandler {

    private static final InternalLogger logger = InternalLoggerFactory.getInstance(DeviceSession.class);

    /** The token a device presented at the WebSocket upgrade, verified. */
    static final AttributeKey<DeviceToken> UPGRADE_TOKEN = AttributeKey.valueOf("mproxy.upgradeToken");

    /** Ids of the requests the gateway starts, fixed as in telebit's relay. */
    private static final long HELLO_ID = 1;
    private static final long GRANT_ID = 2;

    private final DeviceRegistry registry;
    private final TokenVerifier verifier;
    private final Duration authTimeout;
    private final Recorder recorder;
    private ChannelHandlerContext ctx;
    private TunnelHandler tunnel;
    private ScheduledFuture<?> authTimer;
    private volatile DeviceToken token;

    DeviceSession(DeviceRegistry registry, TokenVerifier verifier, Duration authTimeout, Recorder recorder) {
        this.registry = registry;
        this.verifier = verifier;
        this.authTimeout = authTimeout;
        this.recorder = recorder;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.tunnel = ctx.pipeline().get(TunnelHandler.class);
        ctx.writeAndFlush(ControlMessages.command(HELLO_ID, "hello", List.of(1), List.of("add_token")));
        DeviceToken fromUpgrade = ctx.channel().attr(UPGRADE_TOKEN).getAndSet(null);
        if (fromUpgrade != null) {
            authorize(fromUpgrade);
        } else {
            authTimer = ctx.executor().schedule(() -> close(WebSocketCloseStatus.POLICY_VIOLATION,
                    "no valid token within " + authTimeout.toSeconds() + " s (send add_token or an Authorization"
                            + " header)"), authTimeout.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    @Override
    protected void onControl(ChannelHandlerContext ctx, MproxyMessage m) {
        ArrayNode command = ControlMessages.parse(m);
        if (command == null) {
            ctx.writeAndFlush(ControlMessages.error(0, "E_BAD_COMMAND", "received bad command \""
                    + m.content().toString(StandardCharsets.UTF_8) + '"'));
            return;
        }
        long id = command.get(0).asLong();
        if (id <= 0) {
            logger.debug("{}: device replied {}", ctx.channel(), command);
            return;
        }
        String name = command.path(1).asText("");
        switch (name) {
            case "add_token":
            case "auth": // telebit's relay took these as aliases of add_token
            case "authn":
            case "authz":
                addToken(id, command.path(2));
                break;
            default:
                ctx.writeAndFlush(ControlMessages.error(id, "E_UNKNOWN_COMMAND", "unknown command \"" + name + '"'));
        }
    }

    private void addToken(long id, JsonNode jwt) {
        if (token != null) {
            ctx.writeAndFlush(ControlMessages.error(id, "E_ALREADY_AUTHENTICATED",
                    "this tunnel is already authenticated as device " + token.deviceId()));
            return;
        }
        try {
            DeviceToken verified = verifier.verify(jwt.isTextual() ? jwt.textValue() : "");
            ctx.writeAndFlush(ControlMessages.ok(id));
            authorize(verified);
        } catch (InvalidTokenException e) {
            // the message is kept: telebit's relay lost it and sent only the code
            ctx.writeAndFlush(ControlMessages.error(id, e.code(), e.getMessage()));
        }
    }

    private void authorize(DeviceToken verified) {
        if (authTimer != null) {
            authTimer.cancel(false);
        }
        token = verified;
        logger.info("device {} connected from {}: ports {}, domains {}", verified.deviceId(),
                ctx.channel().remoteAddress(), verified.ports(), verified.domains());
        if (recorder != null) {
            tunnel.record(recorder, verified.deviceId()); // before registering: no stream goes unrecorded
        }
        DeviceRegistry.Registration registration = registry.register(this);
        // The grant goes out once every granted port listens (or failed to), so "granted" means "serving".
        List<Map<String, Object>> refused = new ArrayList<>(registration.refused());
        List<Integer> ports = new ArrayList<>(registration.binds().keySet());
        int[] pending = {registration.binds().size()};
        if (pending[0] == 0) {
            sendGrant(ports, registration.domains(), refused);
        }
        registration.binds().forEach((port, bind) -> bind.addListener(f -> ctx.executor().execute(() -> {
            if (!f.isSuccess()) {
                String message = "cannot listen on public port " + port + ": " + f.cause().getMessage();
                logger.warn("device {}: {}", verified.deviceId(), message);
                refused.add(Map.of("port", port, "message", message));
                ports.remove(port);
                reportError("E_PORT_UNAVAILABLE", message);
            }
            if (--pending[0] == 0) {
                sendGrant(ports, registration.domains(), refused);
            }
        })));
    }

    /**
     * {@code [2, "grant", {"device", "ports", "domains", "refused"}]}: what this tunnel now serves, and what of
     * its token it does not, with why (control 2.4).
     */
    private void sendGrant(List<Integer> ports, List<String> domains, List<Map<String, Object>> refused) {
        ObjectNode grant = ControlMessages.newObject().put("device", token.deviceId());
        ports.sort(null);
        grant.set("ports", ControlMessages.toTree(ports));
        grant.set("domains", ControlMessages.toTree(domains));
        grant.set("refused", ControlMessages.toTree(refused));
        ctx.writeAndFlush(ControlMessages.command(GRANT_ID, "grant", grant));
    }

    /** Tells the device about a failure tied to no request: {@code [0, {"message","code"}]}. */
    void reportError(String code, String message) {
        ctx.writeAndFlush(ControlMessages.error(0, code, message));
    }

    /** Ends this tunnel with a close frame the device can read; the future completes once it is closed. */
    ChannelFuture close(WebSocketCloseStatus status, String reason) {
        ctx.writeAndFlush(new WebSocketClose(status, reason)).addListener(ChannelFutureListener.CLOSE);
        return ctx.channel().closeFuture();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (authTimer != null) {
            authTimer.cancel(false);
        }
        if (token != null) {
            registry.unregister(this);
            logger.info("device {} disconnected", token.deviceId());
        }
        ctx.fireChannelInactive();
    }

    DeviceToken token() {
        return token;
    }

    TunnelHandler tunnel() {
        return tunnel;
    }

    Channel channel() {
        return ctx.channel();
    }
}
