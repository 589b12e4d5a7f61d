package dev.mproxy.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.mproxy.auth.DeviceToken;
import dev.mproxy.auth.InvalidTokenException;
import dev.mproxy.auth.TokenVerifier;
import dev.mproxy.config.HostPorts;
import dev.mproxy.guard.MemoryBudget;
import dev.mproxy.guard.Refusal;
import dev.mproxy.guard.RemoteText;
import dev.mproxy.guard.SourceKey;
import dev.mproxy.guard.SourceLimits;
import dev.mproxy.guard.WriteBudget;
import dev.mproxy.protocol.MproxyMessage;
import dev.mproxy.relay.Recorder;
import dev.mproxy.tunnel.ControlHandler;
import dev.mproxy.tunnel.ControlMessages;
import dev.mproxy.tunnel.Grant;
import dev.mproxy.tunnel.StreamSnapshot;
import dev.mproxy.tunnel.TunnelHandler;
import dev.mproxy.tunnel.TunnelMeter;
import dev.mproxy.websocket.WebSocketClose;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.Future;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import java.net.SocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * One device's tunnel as the gateway sees it: the control channel as telebit's relay spoke it
 * (protocol-spec/control.md) — {@code hello} on connect, {@code add_token}, replies, {@code grant} in telebit's
 * array shape with the refusals before it — and the device's place in the {@link DeviceRegistry} once
 * authenticated.
 */
final class DeviceSession extends ControlHandler implements DeviceView {

    private static final InternalLogger logger = InternalLoggerFactory.getInstance(DeviceSession.class);

    /** The token a device presented at the WebSocket upgrade, verified. */
    static final AttributeKey<DeviceToken> UPGRADE_TOKEN = AttributeKey.valueOf("mproxy.upgradeToken");
    /** That token as it came, so the same token sent again in-band is known (control 2.3). */
    static final AttributeKey<String> UPGRADE_JWT = AttributeKey.valueOf("mproxy.upgradeJwt");
    /** The host name the device reached the gateway by (its upgrade's {@code Host}), named in the grant. */
    static final AttributeKey<String> UPGRADE_HOST = AttributeKey.valueOf("mproxy.upgradeHost");

    /** Ids of the requests the gateway starts, fixed as in telebit's relay. */
    private static final long HELLO_ID = 1;
    private static final long GRANT_ID = 2;
    /** Longest command name an error reply repeats (limits 4.4): telebit's longest is 12 characters. */
    private static final int MAX_ECHOED_NAME = 32;

    private final DeviceRegistry registry;
    private final TokenVerifier verifier;
    private final Duration authTimeout;
    private final Recorder recorder;
    private final GatewayObserver observer;
    /** Every token accepted on this tunnel, as sent; one sent again is answered success and changes nothing. */
    private final Set<String> accepted = new HashSet<>();
    private ChannelHandlerContext ctx;
    private TunnelHandler tunnel;
    private ScheduledFuture<?> authTimer;
    /** Closes the tunnel when its token ends (limits 4.3); replaced when a token changes the end. */
    private ScheduledFuture<?> expiryTimer;
    private final GatewayGuards guards;
    /** What this tunnel's public sockets hold (limits 3.1). */
    private final MemoryBudget memory;
    /** Streams each source holds on this tunnel (limits 2.2). */
    private final SourceLimits streamSources;
    private boolean refusedUnauthenticated;
    private String host;
    /** What this tunnel's tokens grant together; null until the first is accepted. */
    private volatile DeviceToken token;
    /** Each token accepted, as issued (with its jti), for revocation; replaced whole when one is added. */
    private volatile List<DeviceToken> grants = List.of();
    private volatile Instant since;

    DeviceSession(DeviceRegistry registry, TokenVerifier verifier, Duration authTimeout, Recorder recorder,
                  GatewayObserver observer) {
        this.registry = registry;
        this.verifier = verifier;
        this.authTimeout = authTimeout;
        this.recorder = recorder;
        this.observer = observer;
        this.guards = registry.guards();
        this.memory = guards.newTunnelBudget("tunnel");
        this.streamSources = new SourceLimits(guards.limits().maxStreamsPerSource());
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.tunnel = ctx.pipeline().get(TunnelHandler.class);
        tunnel.meter(new TunnelMeter(observer));
        String upgradeHost = ctx.channel().attr(UPGRADE_HOST).getAndSet(null);
        this.host = upgradeHost != null ? upgradeHost : "localhost";
        ctx.writeAndFlush(ControlMessages.command(HELLO_ID, "hello", List.of(1), List.of("add_token")));
        DeviceToken fromUpgrade = ctx.channel().attr(UPGRADE_TOKEN).getAndSet(null);
        String jwt = ctx.channel().attr(UPGRADE_JWT).getAndSet(null);
        if (fromUpgrade != null) {
            accepted.add(jwt);
            authorize(fromUpgrade, fromUpgrade);
        } else {
            authTimer = ctx.executor().schedule(() -> {
                observer.refused(RefusalReason.NO_TOKEN);
                close(WebSocketCloseStatus.POLICY_VIOLATION, "no valid token within " + authTimeout.toSeconds()
                        + " s (send add_token or an Authorization header)");
            }, authTimeout.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    @Override
    protected void onControl(ChannelHandlerContext ctx, MproxyMessage m) {
        ArrayNode command = ControlMessages.parse(m);
        if (command == null) {
            if (token == null) {
                refuseUnauthenticated();
                return;
            }
            // control 2.1, limits 4.1: what was expected, never the body back (it may be a MiB)
            ctx.writeAndFlush(ControlMessages.error(0, "E_BAD_COMMAND", "received bad command "
                    + "(expected: a JSON array [id, \"name\", args...])"));
            return;
        }
        long id = command.get(0).asLong();
        if (id <= 0) {
            logger.debug("{}: device replied to request {}", ctx.channel(), -id);
            return;
        }
        String name = command.path(1).asText("");
        if (token == null && !isTokenCommand(name)) {
            refuseUnauthenticated();
            return;
        }
        switch (name) {
            case "add_token":
            case "auth": // telebit's relay took these as aliases of add_token
            case "authn":
            case "authz":
                addToken(id, command.path(2));
                break;
            default:
                ctx.writeAndFlush(ControlMessages.error(id, "E_UNKNOWN_COMMAND", "unknown command "
                        + (name.length() <= MAX_ECHOED_NAME && name.matches("[a-z_]*") ? "\"" + name + "\" " : "")
                        + "(expected: add_token)"));
        }
    }

    private static boolean isTokenCommand(String name) {
        return "add_token".equals(name) || "auth".equals(name) || "authn".equals(name) || "authz".equals(name);
    }

    /** Limits 4.1: before a token, only a token is answered; anything else closes the tunnel, unanswered. */
    private void refuseUnauthenticated() {
        if (refusedUnauthenticated) {
            return; // what still arrives while the close goes out is dropped, and counted once
        }
        refusedUnauthenticated = true;
        guards.refusals().refuse(Refusal.UNAUTHENTICATED_COMMAND, "closed tunnel from "
                + ctx.channel().remoteAddress());
        close(WebSocketCloseStatus.POLICY_VIOLATION, "a command before authentication (expected: add_token)");
    }

    /**
     * Carries a public connection (accepted on a port, or routed by name) as a stream on this tunnel, unless its
     * source holds its maximum of streams here (limits 2.2); its socket's queued bytes count against this tunnel's
     * memory (limits 3.1). Callable from any thread; {@code firstBytes} is released by this call.
     */
    void openPublicStream(Channel endpoint, String service, int servicePort, String name, ByteBuf firstBytes) {
        String source = SourceKey.of(endpoint.remoteAddress());
        if (!streamSources.tryAcquire(source)) {
            guards.refusals().refuse(Refusal.TOO_MANY_STREAMS, "refused public connection from "
                    + endpoint.remoteAddress() + " (limit: " + streamSources.max() + ')');
            ReferenceCountUtil.release(firstBytes);
            endpoint.close();
            return;
        }
        endpoint.closeFuture().addListener(f -> streamSources.release(source));
        endpoint.pipeline().addFirst(new WriteBudget(memory));
        tunnel.openStream(endpoint, service, Integer.toString(servicePort), name, firstBytes);
    }

    /** What this tunnel's public sockets hold, charged to the gateway's budget too. */
    MemoryBudget memory() {
        return memory;
    }

    /**
     * {@code add_token} as telebit's relay answers it (control 2.3): a token already accepted on this tunnel
     * succeeds and changes nothing; another valid token of the same device adds what it grants and a new
     * {@code grant} follows; a bad token is answered with why, and the tunnel stays.
     */
    private void addToken(long id, JsonNode jwt) {
        String raw = jwt.isTextual() ? jwt.textValue() : "";
        if (accepted.contains(raw)) {
            ctx.writeAndFlush(ControlMessages.ok(id));
            return;
        }
        if (guards.authThrottled(ctx.channel())) { // limits 4.2: no more guesses, and no reply to them
            close(WebSocketCloseStatus.POLICY_VIOLATION, "too many failed authentications from this address");
            return;
        }
        DeviceToken verified;
        try {
            verified = verifier.verify(raw);
        } catch (InvalidTokenException e) {
            observer.authenticationFailed();
            observer.refused(e.isRevoked() ? RefusalReason.REVOKED_TOKEN : RefusalReason.BAD_TOKEN);
            guards.authFailed(ctx.channel(), e.code());
            // the message is kept: telebit's relay lost it and sent only the code
            ctx.writeAndFlush(ControlMessages.error(id, e.code(), e.getMessage()));
            return;
        }
        if (token != null && !token.deviceId().equals(verified.deviceId())) {
            ctx.writeAndFlush(ControlMessages.error(id, "E_OTHER_DEVICE", "this tunnel is device "
                    + token.deviceId() + "; a token of device " + verified.deviceId() + " needs a tunnel of its own"));
            return;
        }
        accepted.add(raw);
        ctx.writeAndFlush(ControlMessages.ok(id));
        authorize(verified, token == null ? verified : union(token, verified));
    }

    /** What two tokens of one device grant together; it ends with the first of them to end. */
    private static DeviceToken union(DeviceToken a, DeviceToken b) {
        Set<Integer> ports = new TreeSet<>(a.ports());
        ports.addAll(b.ports());
        Set<String> domains = new LinkedHashSet<>(a.domains());
        domains.addAll(b.domains());
        Instant end = a.expiresAt().isEmpty() ? b.expiresAt().orElse(null)
                : b.expiresAt().filter(t -> t.isBefore(a.expiresAt().get())).orElse(a.expiresAt().get());
        return new DeviceToken(a.deviceId(), ports, domains, end);
    }

    private void authorize(DeviceToken presented, DeviceToken granted) {
        if (authTimer != null) {
            authTimer.cancel(false);
        }
        boolean first = token == null;
        token = granted;
        List<DeviceToken> issued = new ArrayList<>(grants);
        issued.add(presented);
        grants = List.copyOf(issued);
        if (first) {
            logger.info("device={} connected remote={}", RemoteText.quoted(granted.deviceId()),
                    HostPorts.format(ctx.channel().remoteAddress()));
            tunnel.nameDevice(granted.deviceId());
        } else {
            logger.info("device={} added a token", RemoteText.quoted(granted.deviceId()));
        }
        scheduleExpiry(granted);
        if (first && recorder != null) {
            tunnel.record(recorder, granted.deviceId()); // before registering: no stream goes unrecorded
        }
        if (first) {
            since = Instant.now();
        }
        DeviceRegistry.Registration registration = registry.register(this);
        if (first) {
            observer.deviceConnected(this);
        }
        // The grant goes out once every granted port listens (or failed to), so "granted" means "serving".
        List<Grant.Refusal> refused = new ArrayList<>(registration.refused());
        List<Integer> ports = new ArrayList<>(registration.binds().keySet());
        int[] pending = {registration.binds().size()};
        if (pending[0] == 0) {
            sendGrant(new Grant(ports, registration.domains(), refused));
        }
        registration.binds().forEach((port, bind) -> bind.addListener(f -> ctx.executor().execute(() -> {
            if (!f.isSuccess()) {
                String message = "cannot listen on public port " + port + ": " + f.cause().getMessage();
                observer.refused(RefusalReason.PORT_UNAVAILABLE);
                refused.add(Grant.Refusal.port(port, "E_PORT_UNAVAILABLE", message));
                ports.remove(port);
            }
            if (--pending[0] == 0) {
                sendGrant(new Grant(ports, registration.domains(), refused));
            }
        })));
    }

    /**
     * Limits 4.3: the tunnel closes with 1008 once its token has ended, after a grace for clock skew; the device
     * reconnects with a fresh token. A tunnel's end is the earliest of its tokens' ends.
     */
    private void scheduleExpiry(DeviceToken granted) {
        if (expiryTimer != null) {
            expiryTimer.cancel(false);
        }
        if (granted.expiresAt().isEmpty()) {
            return;
        }
        Instant end = granted.expiresAt().get().plus(guards.limits().tokenGrace());
        long delay = Math.max(0, Duration.between(Instant.now(), end).toMillis());
        expiryTimer = ctx.executor().schedule(() -> {
            guards.refusals().refuse(Refusal.TOKEN_EXPIRED, "closed tunnel of device "
                    + RemoteText.quoted(granted.deviceId()) + " from " + ctx.channel().remoteAddress());
            close(WebSocketCloseStatus.POLICY_VIOLATION, "token expired at " + granted.expiresAt().get()
                    + " (expected: reconnect with a fresh token)");
        }, delay, TimeUnit.MILLISECONDS);
    }

    /**
     * Each refusal as {@code [0, {"message", "code", "port"|"domain"}]}, then {@code [2, "grant", [...]]} in
     * telebit's shape: what this tunnel now serves (control 2.4).
     */
    private void sendGrant(Grant grant) {
        // what it actually serves: not what the token asked for (2.4)
        String device = RemoteText.quoted(token.deviceId());
        logger.info("device={} serves ports={} names={}", device, grant.ports(),
                RemoteText.quoted(String.join(",", grant.domains())));
        for (Grant.Refusal refusal : grant.refused()) {
            logger.warn("device={} not served: {}", device, RemoteText.quoted(refusal.toString()));
            ctx.write(ControlMessages.refusal(refusal));
        }
        ctx.writeAndFlush(ControlMessages.command(GRANT_ID, "grant", grant.toTelebit(host)));
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
        if (expiryTimer != null) {
            expiryTimer.cancel(false);
        }
        if (token != null) {
            registry.unregister(this);
            observer.deviceDisconnected(this);
            logger.info("device={} disconnected remote={}", RemoteText.quoted(token.deviceId()),
                    HostPorts.format(ctx.channel().remoteAddress()));
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

    // ---- DeviceView -----------------------------------------------------------------------------------------

    @Override
    public String id() {
        return token.deviceId();
    }

    @Override
    public SocketAddress address() {
        return ctx.channel().remoteAddress();
    }

    @Override
    public Instant since() {
        return since;
    }

    @Override
    public SortedSet<Integer> ports() {
        return token.ports();
    }

    @Override
    public List<String> names() {
        return token.domains();
    }

    @Override
    public List<String> tokenIds() {
        List<String> ids = new ArrayList<>();
        for (DeviceToken grant : grants) {
            grant.tokenId().ifPresent(ids::add);
        }
        return ids;
    }

    /** The tokens accepted on this tunnel, each as issued. */
    List<DeviceToken> grants() {
        return grants;
    }

    @Override
    public TunnelMeter meter() {
        return tunnel.meter();
    }

    @Override
    public Future<List<StreamSnapshot>> streams() {
        return tunnel.streams();
    }

    @Override
    public Future<Void> disconnect(String reason) {
        return close(WebSocketCloseStatus.POLICY_VIOLATION, reason);
    }

    @Override
    public String toString() {
        DeviceToken t = token;
        return "device " + (t == null ? "(not authenticated)" : t.deviceId()) + " from " + ctx.channel().remoteAddress();
    }
}
