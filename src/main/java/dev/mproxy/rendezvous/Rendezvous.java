package dev.mproxy.rendezvous;

import dev.mproxy.auth.DeviceToken;
import dev.mproxy.guard.RemoteText;
import dev.mproxy.record.Direction;
import dev.mproxy.relay.EventLoops;
import dev.mproxy.relay.Recorder;
import dev.mproxy.relay.RecordingTap;
import dev.mproxy.relay.Relay;
import dev.mproxy.websocket.FrameSplitter;
import dev.mproxy.websocket.PingResponder;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The gateway's rendezvous relay (protocol-spec/rendezvous.md): peers that open {@code /relay?id=ID} wait,
 * pair by id and are relayed to each other. Thread-safe: peers arrive on any event loop; a pair runs on the
 * waiting peer's loop, the peer that joins being moved there, since a {@link Relay} joins two endpoints on one
 * loop.
 */
public final class Rendezvous {

    private static final InternalLogger logger = InternalLoggerFactory.getInstance(Rendezvous.class);

    /** The default hold timeout (rendezvous 2.3): MeshCentral's since 1.1.11, down from 60 s. */
    public static final Duration DEFAULT_HOLD = Duration.ofSeconds(15);

    /**
     * Frames up to this size are relayed whole, as they came; longer ones in fragments of
     * {@value FrameSplitter#PIECE} bytes as they arrive: the gateway holds at most one such frame per peer while
     * decoding (rendezvous 1.5).
     */
    public static final int MAX_FRAME_PAYLOAD = 1024 * 1024;

    /** MeshCentral's greeting to both peers of a new pair (rendezvous 2.6). */
    static final String GREETING = "c";
    /** The greeting when the pair is recorded (rendezvous 5.1). */
    static final String RECORDED_GREETING = "cr";

    static final String NO_AUTHENTICATED_PEER = "no authenticated peer is waiting for this relay id";
    static final String OTHER_USER = "relay id is held by another user";
    static final String ALREADY_PAIRED = "relay id is already paired";
    static final String PEER_WENT_AWAY = "the other relay peer went away";

    private final Duration hold;
    /** Whether a peer without a token may use an id in MeshCentral's shape (rendezvous 1.2). */
    private final boolean guessableIds;
    /** The longest message a peer may send; 0 for no limit (rendezvous 1.5). */
    private final long maxMessage;
    /** Records every pair; null for none. */
    private final Recorder recorder;
    private final WebSocketServerProtocolConfig webSocket;
    private final RendezvousMetrics metrics = new RendezvousMetrics();
    /** Waiting and paired peers by id: an id is here from its first peer's arrival until its pair ends. */
    private final ConcurrentHashMap<String, Pair> pairs = new ConcurrentHashMap<>();

    /** Only peers with a token may use ids in MeshCentral's shape (rendezvous 1.2); messages of any size. */
    public Rendezvous(Duration hold, Duration handshakeTimeout, Recorder recorder) {
        this(hold, handshakeTimeout, recorder, false, 0);
    }

    /**
     * @param hold             how long a first peer waits for the second (rendezvous 2.3)
     * @param handshakeTimeout how long a WebSocket upgrade may take
     * @param recorder         records every pair (rendezvous 5); null for none
     * @param guessableIds     whether a peer without a token may use an id in MeshCentral's shape, which a
     *                         stranger could guess to join a waiting peer (rendezvous 1.2)
     * @param maxMessage       the longest message a peer may send, its frames added up; 0 for no limit
     *                         (rendezvous 1.5)
     */
    public Rendezvous(Duration hold, Duration handshakeTimeout, Recorder recorder, boolean guessableIds,
                      long maxMessage) {
        if (hold.isNegative() || hold.isZero()) {
            throw new IllegalArgumentException("relay hold: " + hold + " (expected: a positive duration)");
        }
        if (maxMessage < 0) {
            throw new IllegalArgumentException("relay max message: " + maxMessage + " (expected: >= 0, 0 for no "
                    + "limit)");
        }
        this.hold = hold;
        this.guessableIds = guessableIds;
        this.maxMessage = maxMessage;
        this.recorder = recorder;
        this.webSocket = WebSocketServerProtocolConfig.newBuilder()
                .websocketPath("/") // /relay or /meshrelay.ashx, then the query: the gateway has checked the path
                .checkStartsWith(true)
                .handshakeTimeoutMillis(handshakeTimeout.toMillis())
                .handleCloseFrames(false) // a close frame is half a close here: WebSocketEnd carries it across
                .sendCloseFrame(null)
                .dropPongFrames(true)
                .decoderConfig(WebSocketDecoderConfig.newBuilder()
                        .maxFramePayloadLength(MAX_FRAME_PAYLOAD)
                        .allowExtensions(false)
                        .build())
                .build();
    }

    /**
     * Reads an upgrade request to the rendezvous endpoint under this relay's id rule (rendezvous 1.2-1.4).
     *
     * @param uri   the request-target
     * @param token the token the request carried, already verified, or null
     * @throws RendezvousRequest.BadRelayRequestException naming what is wrong; answered with its status
     */
    public RendezvousRequest request(String uri, DeviceToken token)
            throws RendezvousRequest.BadRelayRequestException {
        return RendezvousRequest.parse(uri, token, guessableIds);
    }

    /** Whether a peer of {@code id} is here, waiting or paired: a peer that joins it is served here (cluster 8.2). */
    public boolean holds(String id) {
        return pairs.containsKey(id);
    }

    /** The ids whose first peer waits here for its second: published to the cluster (cluster 8.1). */
    public Set<String> waitingIds() {
        Set<String> waiting = new HashSet<>();
        pairs.forEach((id, pair) -> {
            if (pair.joiner == null) {
                waiting.add(id);
            }
        });
        return waiting;
    }

    /** The counters a metrics endpoint reads (rendezvous 4.5). */
    public RendezvousMetrics metrics() {
        return metrics;
    }

    /**
     * Takes over a connection whose upgrade request to {@value RendezvousRequest#PATH} was checked and made
     * {@code request}: adds the WebSocket handlers to the end of {@code pipeline}, which must hold the HTTP codec
     * and aggregator and nothing after them, and stops its reads. Fire the request through the pipeline next.
     */
    public void accept(ChannelPipeline pipeline, RendezvousRequest request) {
        Channel channel = pipeline.channel();
        // in front of the HTTP codec, where the handshake puts Netty's frame decoder: long frames reach the
        // decoder in fragments (rendezvous 1.5)
        pipeline.addBefore(pipeline.context(HttpServerCodec.class).name(), null,
                new FrameSplitter(MAX_FRAME_PAYLOAD, maxMessage, metrics::frameDecoded));
        // before the protocol handler, which would read on after each ping (rendezvous 3.3)
        pipeline.addLast(PingResponder.INSTANCE, new WebSocketServerProtocolHandler(webSocket));
        WebSocketEnd end = WebSocketEnd.atGateway(channel);
        pipeline.addBefore(pipeline.context(end).name(), null, new RendezvousPeer(this, request, channel, end));
    }

    /** {@code peer}'s WebSocket is up: it waits, pairs or is refused (rendezvous 2.1-2.5). On its loop. */
    void arrived(RendezvousPeer peer) {
        RendezvousRequest request = peer.request;
        String[] refusal = {null};
        boolean[] joined = {false};
        Pair pair = pairs.compute(request.id(), (id, existing) -> {
            if (existing == null) {
                if (!request.authenticated()) {
                    refusal[0] = NO_AUTHENTICATED_PEER; // rendezvous 2.1
                    return null;
                }
                metrics.waiting();
                return new Pair(id, peer);
            }
            if (existing.joiner != null) {
                refusal[0] = ALREADY_PAIRED; // rendezvous 2.5
                return existing;
            }
            if (request.authenticated() && !request.user().equals(existing.waiting.request.user())) {
                refusal[0] = OTHER_USER; // rendezvous 2.4
                return existing;
            }
            existing.joiner = peer;
            joined[0] = true;
            metrics.paired();
            return existing;
        });
        if (refusal[0] != null) {
            metrics.refused();
            logger.info("relay {}: refused {}: {}", RemoteText.digest(request.id()), peer, refusal[0]);
            peer.end.close(WebSocketCloseStatus.POLICY_VIOLATION, refusal[0]);
        } else if (joined[0]) {
            moveToWaitingLoop(pair);
        } else {
            logger.debug("relay {}: {} waits", RemoteText.digest(request.id()), peer);
            pair.timer = peer.channel.eventLoop().schedule(() -> expire(pair), hold.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** {@code peer}'s connection ended; if it was waiting, its id is free again. On its loop. */
    void left(RendezvousPeer peer) {
        Pair[] gone = {null};
        pairs.computeIfPresent(peer.request.id(), (id, pair) -> {
            if (pair.waiting != peer || pair.joiner != null) {
                return pair;
            }
            metrics.stoppedWaiting();
            gone[0] = pair;
            return null;
        });
        if (gone[0] != null && gone[0].timer != null) {
            gone[0].timer.cancel(false);
        }
    }

    /** Nobody joined in time (rendezvous 2.3). On the waiting peer's loop. */
    private void expire(Pair pair) {
        boolean[] expired = {false};
        pairs.computeIfPresent(pair.id, (id, current) -> {
            if (current != pair || pair.joiner != null) {
                return current;
            }
            metrics.holdTimedOut();
            expired[0] = true;
            return null;
        });
        if (expired[0]) {
            // debug: a waiting 'mproxy relay --connect' comes back every hold, which is no news
            logger.debug("relay {}: {} timed out waiting", RemoteText.digest(pair.id), pair.waiting);
            pair.waiting.end.close(WebSocketCloseStatus.TRY_AGAIN_LATER, "no peer joined within " + holdText());
        }
    }

    /** Moves the joining peer's channel to the waiting peer's loop (reads are off), then starts the pair there. */
    private void moveToWaitingLoop(Pair pair) {
        Channel joiner = pair.joiner.channel;
        EventLoop loop = pair.waiting.channel.eventLoop();
        if (joiner.eventLoop() != loop) {
            logger.debug("relay {}: moving {} to {}, the waiting peer's loop", RemoteText.digest(pair.id), joiner,
                    loop);
        }
        // moved or not (a channel closed meanwhile cannot register), the pair starts on the waiting peer's loop:
        // a joiner that is gone ends it at once (rendezvous 4.3)
        EventLoops.move(joiner, loop).addListener(moved -> pair.start());
    }

    private String holdText() {
        long millis = hold.toMillis();
        return millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
    }

    /** One id: its waiting peer, then the peer that joined it and their relay. */
    private final class Pair {
        final String id;
        final RendezvousPeer waiting;
        /** Set once, under the map's lock for this id. */
        volatile RendezvousPeer joiner;
        /** Set on the waiting peer's loop right after it starts waiting; read there. */
        ScheduledFuture<?> timer;
        /** The relay's client side (the {@code browser=1} peer, else the waiting one) and its server side. */
        private RendezvousPeer userSide;
        private RendezvousPeer otherSide;
        private boolean finished;

        Pair(String id, RendezvousPeer waiting) {
            this.id = id;
            this.waiting = Objects.requireNonNull(waiting, "waiting");
        }

        /** Greets both peers and relays them; on the waiting peer's loop, where the joiner now is too. */
        void start() {
            if (timer != null) {
                timer.cancel(false);
            }
            // The user's side is the relay's client (rendezvous 5.3)
            userSide = joiner.request.browser() && !waiting.request.browser() ? joiner : waiting;
            otherSide = userSide == waiting ? joiner : waiting;
            WebSocketEnd.pair(waiting.end, joiner.end);
            RecordingTap tap = recorder == null ? null : tap();
            String greeting = tap == null ? GREETING : RECORDED_GREETING;
            waiting.channel.writeAndFlush(new TextWebSocketFrame(greeting));
            joiner.channel.writeAndFlush(new TextWebSocketFrame(greeting));
            logger.info("relay {}: paired {} with {}{}", RemoteText.digest(id), waiting, joiner,
                    tap == null ? "" : "; recording");
            Relay.join(userSide.end, otherSide.end, tap, this::finished);
        }

        /**
         * The pair's recording (rendezvous 5): MeshCentral's metadata with the relay id as its session, the user's
         * side as {@code ipaddr1}, {@code ?p=} as the protocol.
         */
        private RecordingTap tap() {
            Integer protocol = waiting.request.protocol() != null ? waiting.request.protocol()
                    : joiner.request.protocol();
            // MeshCentral flags what a browser=1 peer sends, whichever peers did (rendezvous 5.3)
            Set<Direction> browsers = EnumSet.noneOf(Direction.class);
            if (userSide.request.browser()) {
                browsers.add(Direction.FROM_CLIENT);
            }
            if (otherSide.request.browser()) {
                browsers.add(Direction.FROM_SERVER);
            }
            RecordingTap tap = recorder.streamTap(waiting.channel.eventLoop(), id, user(), "relay-" + id,
                    (InetSocketAddress) userSide.channel.remoteAddress(),
                    (InetSocketAddress) otherSide.channel.remoteAddress(),
                    protocol == null ? null : protocol.toString(), Map.of("recordedBy", "gateway", "relay",
                            "rendezvous"), browsers);
            tap.opened();
            return tap;
        }

        /** The relay ended (or never could start, when {@code relay} is null); the id is free again. */
        void finished(Relay relay) {
            if (finished) {
                return;
            }
            finished = true;
            pairs.remove(id, this);
            boolean failed = relay == null || relay.failure() != null;
            metrics.ended(failed);
            if (relay == null) {
                logger.info("relay {}: could not start: the gateway is stopping", RemoteText.digest(id));
                return;
            }
            logger.info("relay {}: ended after {} ms; user {}; {} sent {} bytes ({}), {} sent {} bytes ({}){}",
                    RemoteText.digest(id),
                    TimeUnit.NANOSECONDS.toMillis(relay.durationNanos()), user(),
                    userSide.channel.remoteAddress(), relay.bytesFrom(Direction.FROM_CLIENT),
                    ending(relay, Direction.FROM_CLIENT, userSide),
                    otherSide.channel.remoteAddress(), relay.bytesFrom(Direction.FROM_SERVER),
                    ending(relay, Direction.FROM_SERVER, otherSide),
                    relay.failure() == null ? "" : "; " + relay.failure());
        }

        private String user() {
            String user = waiting.request.user();
            return user != null ? user : joiner.request.user();
        }

        private String ending(Relay relay, Direction side, RendezvousPeer peer) {
            String close = peer.end.receivedClose();
            return relay.ending(side).name().toLowerCase(Locale.ROOT) + (close == null ? "" : ", close " + close);
        }
    }
}
