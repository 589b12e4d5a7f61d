package dev.mproxy.gateway;

import dev.mproxy.auth.DeviceToken;
import dev.mproxy.auth.InvalidTokenException;
import dev.mproxy.auth.TokenExtractor;
import dev.mproxy.auth.TokenVerifier;
import dev.mproxy.guard.UpgradeDeadline;
import dev.mproxy.rendezvous.Rendezvous;
import dev.mproxy.rendezvous.RendezvousRequest;
import dev.mproxy.tunnel.ControlMessages;
import dev.mproxy.tunnel.TunnelPipeline;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.concurrent.Future;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Checks the WebSocket upgrade request before the handshake: the path must be {@code /} (telebit's) or
 * {@code /relay} (the rendezvous relay, also at MeshCentral's {@code /meshrelay.ashx}), and a token, if one is
 * presented (Bearer, Basic password, {@code ?access_token=}, or on the relay MeshCentral's {@code ?auth=}), must
 * verify. A bad token is answered with HTTP 401 and a JSON reason. No token at all
 * is allowed: the device may authenticate in-band with {@code add_token}, and a relay peer may join one that
 * has a token (protocol-spec/rendezvous.md 2.1). A {@code GET} of telebit's discovery document
 * ({@value #DISCOVERY_PATH}) is answered with where the tunnel is (control 1.6).
 */
final class UpgradeAuthenticator extends SimpleChannelInboundHandler<FullHttpRequest> {

    /** Where telebit's device asks for the tunnel's URL before it dials (its lib/cli-common.js apiDirectory). */
    static final String DISCOVERY_PATH = "/_apis/telebit.cloud/index.json";

    private final TokenVerifier verifier;
    private final Rendezvous rendezvous;
    private final GatewayGuards guards;
    private final GatewayObserver observer;
    private final ClusterMember cluster;

    UpgradeAuthenticator(TokenVerifier verifier, Rendezvous rendezvous, GatewayGuards guards,
                         GatewayObserver observer, ClusterMember cluster) {
        super(false);
        this.verifier = verifier;
        this.rendezvous = rendezvous;
        this.guards = guards;
        this.observer = observer;
        this.cluster = cluster;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        String path = new QueryStringDecoder(request.uri()).path();
        if (DISCOVERY_PATH.equals(path) && HttpMethod.GET.equals(request.method())) {
            String host = request.headers().get(HttpHeaderNames.HOST);
            request.release();
            respond(ctx, HttpResponseStatus.OK, discovery(host));
            return;
        }
        if (cluster != null && ClusterMember.NODE_TUNNEL_PATH.equals(path)) {
            ChannelPipeline pipeline = ctx.pipeline();
            while (pipeline.last() != this) {
                pipeline.removeLast(); // the device endpoint's WebSocket and tunnel handlers
            }
            if (cluster.acceptNodeTunnel(pipeline, request)) { // cluster 4.2: it checks the secret
                pipeline.remove(this);
                ctx.fireChannelRead(request);
            }
            return;
        }
        boolean relay = RendezvousRequest.isRelayPath(path);
        if (!"/".equals(path) && !relay) {
            request.release();
            respond(ctx, HttpResponseStatus.NOT_FOUND, "E_NOT_FOUND", "no endpoint at this path"
                    + " (expected: / for device tunnels, " + RendezvousRequest.PATH + " or "
                    + RendezvousRequest.MESHCENTRAL_PATH + " for the rendezvous relay)");
            return;
        }
        DeviceToken verified = null;
        String token = null;
        try {
            Optional<String> presented = TokenExtractor.fromRequest(request.headers(), request.uri());
            if (relay) {
                presented = RendezvousRequest.token(request.uri(), presented); // rendezvous 1.4: MeshCentral's auth=
            }
            if (presented.isPresent()) {
                if (guards.authThrottled(ctx.channel())) { // limits 4.2: refused before the token is looked at
                    request.release();
                    respond(ctx, HttpResponseStatus.TOO_MANY_REQUESTS, "E_AUTH_THROTTLED", "too many failed "
                            + "authentications from this address (expected: a valid token, after a pause)");
                    return;
                }
                token = presented.get();
                verified = verifier.verify(token);
            }
        } catch (InvalidTokenException e) {
            observer.authenticationFailed();
            observer.refused(e.isRevoked() ? RefusalReason.REVOKED_TOKEN : RefusalReason.BAD_TOKEN);
            guards.authFailed(ctx.channel(), e.code());
            request.release();
            respond(ctx, HttpResponseStatus.UNAUTHORIZED, e.code(), e.getMessage());
            return;
        }
        if (relay) {
            acceptRelayPeer(ctx, request, verified);
            return;
        }
        if (verified != null) {
            ctx.channel().attr(DeviceSession.UPGRADE_TOKEN).set(verified);
            ctx.channel().attr(DeviceSession.UPGRADE_JWT).set(token);
        }
        String host = request.headers().get(HttpHeaderNames.HOST);
        if (host != null) {
            ctx.channel().attr(DeviceSession.UPGRADE_HOST).set(hostOf(host));
        }
        ctx.pipeline().remove(this);
        ctx.fireChannelRead(request);
    }

    /** Hands a {@code /relay} (or {@code /meshrelay.ashx}) upgrade to the rendezvous, in place of the device endpoint's handlers. */
    private void acceptRelayPeer(ChannelHandlerContext ctx, FullHttpRequest request, DeviceToken token) {
        RendezvousRequest relay;
        try {
            relay = rendezvous.request(request.uri(), token);
        } catch (RendezvousRequest.BadRelayRequestException e) {
            request.release();
            respond(ctx, HttpResponseStatus.valueOf(e.status()), e.code(), e.getMessage());
            return;
        }
        if (cluster != null && !rendezvous.holds(relay.id())
                && !request.headers().contains(ClusterMember.RELAY_VIA_HEADER)) {
            // cluster 8.2: its peer may wait at another node; reads stay off until that is known
            ctx.channel().config().setAutoRead(false);
            cluster.relayNode(relay.id(), relay.authenticated(), ctx.executor()).addListener((Future<String> node) -> {
                if (!ctx.channel().isActive()) {
                    request.release();
                } else if (node.isSuccess() && node.getNow() != null) {
                    carryRelayPeer(ctx, request, node.getNow());
                } else if (!node.isSuccess() && !relay.authenticated()) {
                    // cluster 8.5: it could only join, and where its peer waits cannot be known now
                    request.release();
                    respond(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, "E_CLUSTER_UNAVAILABLE", "no peer waits "
                            + "for this relay id at this node, and the cluster's state is unavailable (cluster 8.5)");
                } else {
                    acceptRelayPeerHere(ctx, request, relay); // here; without Redis, as a single gateway (8.5)
                }
            });
            return;
        }
        acceptRelayPeerHere(ctx, request, relay);
    }

    private void acceptRelayPeerHere(ChannelHandlerContext ctx, FullHttpRequest request, RendezvousRequest relay) {
        ChannelPipeline pipeline = ctx.pipeline();
        while (pipeline.last() != this) {
            pipeline.removeLast(); // the device endpoint's WebSocket and tunnel handlers
        }
        rendezvous.accept(pipeline, relay);
        pipeline.remove(this);
        ctx.fireChannelRead(request);
    }

    /**
     * Carries a rendezvous peer to {@code node}, where its peer waits (cluster 8.3): its upgrade request, as it
     * came plus {@link ClusterMember#RELAY_VIA_HEADER}, opens a stream of the node tunnel, and from then on its
     * bytes pass unread. Only TLS stays in the pipeline.
     */
    private void carryRelayPeer(ChannelHandlerContext ctx, FullHttpRequest request, String node) {
        request.headers().remove(ClusterMember.RELAY_VIA_HEADER);
        StringBuilder head = new StringBuilder(256).append(request.method()).append(' ').append(request.uri())
                .append(" HTTP/1.1\r\n");
        request.headers().forEach(h -> head.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n"));
        head.append(ClusterMember.RELAY_VIA_HEADER).append(": ").append(node).append("\r\n\r\n");
        ByteBuf bytes = ctx.alloc().buffer(head.length());
        ByteBufUtil.writeAscii(bytes, head); // header values are Latin-1 as the decoder read them: the same bytes
        request.release();
        ChannelPipeline pipeline = ctx.pipeline();
        while (pipeline.last() != this) {
            pipeline.removeLast();
        }
        pipeline.remove(this);
        for (Class<? extends ChannelHandler> http : List.of(HttpObjectAggregator.class, UpgradeDeadline.class,
                HttpServerCodec.class)) {
            if (pipeline.get(http) != null) {
                pipeline.remove(http);
            }
        }
        Channel channel = ctx.channel();
        if (pipeline.get(TunnelPipeline.TLS) != null) {
            pipeline.addFirst(new PastTls(bytes));
        }
        cluster.carryRelay(channel, node, bytes).addListener(carried -> {
            if (!carried.isSuccess()) {
                RawRefusal.send(channel, HttpResponseStatus.SERVICE_UNAVAILABLE, "E_RELAY_NODE_UNREACHABLE",
                        "the peer waiting for this relay id is at node " + node + ", which cannot be reached "
                                + "(cluster 8.4)");
            }
        });
    }

    /**
     * Takes a carried rendezvous peer's request past the device port's TLS (cluster 8.3): the tunnel hands a
     * stream's first bytes to the connection's pipeline from its head, as bytes read before, where TLS would take
     * these, already decrypted, for records.
     */
    private static final class PastTls extends ChannelInboundHandlerAdapter {
        private final ByteBuf request;

        PastTls(ByteBuf request) {
            this.request = request;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg != request) {
                ctx.fireChannelRead(msg);
                return;
            }
            ChannelHandlerContext tls = ctx.pipeline().context(TunnelPipeline.TLS);
            ctx.pipeline().remove(this);
            tls.fireChannelRead(msg);
        }
    }

    /**
     * telebit's discovery document as its relay serves it, {@code {"api_host", "tunnel": {"method",
     * "pathname"}}}, with the port the device asked on kept: the device puts its own host name in place of
     * {@code :hostname} and would otherwise dial port 443 (control 1.6).
     */
    static Map<String, Object> discovery(String requestHost) {
        String port = "";
        if (requestHost != null) {
            String h = requestHost.strip();
            int colon = h.lastIndexOf(':');
            if (colon > h.lastIndexOf(']') && colon + 1 < h.length()) {
                port = h.substring(colon); // ":7443"; none when the device asked on its scheme's default port
            }
        }
        Map<String, Object> tunnel = new LinkedHashMap<>();
        tunnel.put("method", "wss");
        tunnel.put("pathname", "");
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("api_host", ":hostname" + port);
        document.put("tunnel", tunnel);
        return document;
    }

    /** A {@code Host} header's name without its port: {@code gw.example.com}, {@code [::1]}. */
    static String hostOf(String hostHeader) {
        String h = hostHeader.strip();
        int colon = h.lastIndexOf(':');
        return colon > h.lastIndexOf(']') ? h.substring(0, colon) : h;
    }

    private static void respond(ChannelHandlerContext ctx, HttpResponseStatus status, String code, String message) {
        respond(ctx, status, Map.of("message", message, "code", code));
    }

    private static void respond(ChannelHandlerContext ctx, HttpResponseStatus status, Map<String, ?> json) {
        byte[] body = ControlMessages.toJson(json);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.wrappedBuffer(body));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }
}
