package dev.mproxy.gateway;

import static java.util.Objects.requireNonNull;

import dev.mproxy.auth.TokenVerifier;
import dev.mproxy.config.Durations;
import dev.mproxy.guard.GuardLimits;
import dev.mproxy.relay.Recorder;
import dev.mproxy.rendezvous.Rendezvous;
import dev.mproxy.tunnel.TunnelLimits;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.OptionalInt;

/**
 * Everything a {@link GatewayServer} runs on: {@code mproxy gateway}'s options as typed values, filled by the
 * command line (and, next, by a configuration file) through {@link #newBuilder()}. Immutable; checked once, by
 * {@link Builder#build()}, whose errors name the option. A setting left unset keeps its {@code DEFAULT_*}, which is
 * also the command line's default. The TLS context, token verifier and recorder are opened from files by whoever
 * fills the builder; the server closes the recorder when it stops.
 */
public final class GatewayConfig {

    /** Where devices connect ({@code --listen}): every interface; 7443 needs no privileges and recalls 443. */
    public static final InetSocketAddress DEFAULT_LISTEN = new InetSocketAddress("0.0.0.0", 7443);
    /** The host public TCP ports bind to ({@code --bind}): every interface, as a public gateway's should. */
    public static final String DEFAULT_PUBLIC_BIND_HOST = "0.0.0.0";
    /** The shared TLS port ({@code --tls-port}): 443 in production; 8443 runs without privileges. */
    public static final int DEFAULT_TLS_PORT = 8443;
    /** The shared HTTP port ({@code --http-port}): 80 in production; 8080 runs without privileges. */
    public static final int DEFAULT_HTTP_PORT = 8080;
    /** WebSocket ping after this long without sending ({@code --ping-interval}; protocol-spec/control.md 1.4). */
    public static final Duration DEFAULT_PING_INTERVAL = Duration.ofSeconds(15);
    /** Tunnel closed after this long without receiving ({@code --ping-timeout}): three missed pings. */
    public static final Duration DEFAULT_PING_TIMEOUT = Duration.ofSeconds(45);
    /**
     * The WebSocket upgrade and authentication must finish within this, and the shared ports wait this long for a
     * ClientHello or request head: Netty's own handshake default (WebSocketServerProtocolConfig, ProxyHandler).
     */
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    /** Where {@code --admin} without a value listens: loopback only, next to the device port's 7443. */
    public static final InetSocketAddress DEFAULT_ADMIN = new InetSocketAddress("127.0.0.1", 7444);

    /** How long a stopping process lets open streams finish ({@code --drain-timeout}). */
    public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(10);

    private final InetSocketAddress listen;
    private final SslContext tls;
    private final TokenVerifier verifier;
    private final String publicBindHost;
    private final PortRange allowedPorts;
    private final TunnelLimits limits;
    private final Duration pingInterval;
    private final Duration pingTimeout;
    private final Duration handshakeTimeout;
    private final Duration drainTimeout;
    private final OptionalInt tlsPort;
    private final OptionalInt httpPort;
    private final Duration relayHold;
    private final Recorder recorder;
    private final boolean relayGuessableIds;
    private final long relayMaxMessage;
    private final GatewayObserver observer;
    private final InetSocketAddress admin;
    private final SslContext adminTls;
    private final GuardLimits guardLimits;
    private final ClusterMember cluster;

    private GatewayConfig(Builder b) {
        listen = b.listen;
        tls = b.tls;
        verifier = b.verifier;
        publicBindHost = b.publicBindHost;
        allowedPorts = b.allowedPorts;
        limits = b.limits;
        pingInterval = b.pingInterval;
        pingTimeout = b.pingTimeout;
        handshakeTimeout = b.handshakeTimeout;
        drainTimeout = b.drainTimeout;
        tlsPort = b.tlsPort;
        httpPort = b.httpPort;
        relayHold = b.relayHold;
        recorder = b.recorder;
        relayGuessableIds = b.relayGuessableIds;
        relayMaxMessage = b.relayMaxMessage;
        observer = b.observer;
        admin = b.admin;
        adminTls = b.adminTls;
        guardLimits = b.guardLimits;
        cluster = b.cluster;
    }

    public static Builder newBuilder() {
        return new Builder();
    }

    /** A builder holding this config's values, to change some of them. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** The device port ({@code --listen}); port 0 picks a free one. */
    public InetSocketAddress listen() {
        return listen;
    }

    /** The server TLS context, or null to serve plain WebSocket behind another TLS terminator ({@code --no-tls}). */
    public SslContext tls() {
        return tls;
    }

    /** Checks device tokens. */
    public TokenVerifier verifier() {
        return verifier;
    }

    /** The host public TCP ports bind to ({@code --bind}). */
    public String publicBindHost() {
        return publicBindHost;
    }

    /** The public ports a token may claim ({@code --allow-ports}). */
    public PortRange allowedPorts() {
        return allowedPorts;
    }

    /** Per-tunnel limits ({@code --max-streams}). */
    public TunnelLimits limits() {
        return limits;
    }

    /** WebSocket ping after this long without sending ({@code --ping-interval}). */
    public Duration pingInterval() {
        return pingInterval;
    }

    /** Tunnel closed after this long without receiving ({@code --ping-timeout}). */
    public Duration pingTimeout() {
        return pingTimeout;
    }

    /** How long a stopping gateway lets open streams finish before it cuts them (SIGTERM, SIGINT). */
    public Duration drainTimeout() {
        return drainTimeout;
    }

    /**
     * WebSocket upgrade and authentication must finish within this; also how long the shared TLS and HTTP ports
     * wait for a ClientHello or request head.
     */
    public Duration handshakeTimeout() {
        return handshakeTimeout;
    }

    /**
     * The shared TLS port routed by SNI ({@code --tls-port}) on {@link #publicBindHost()}: empty for none, 0 picks
     * a free one.
     */
    public OptionalInt tlsPort() {
        return tlsPort;
    }

    /** The shared HTTP port routed by Host ({@code --http-port}): empty for none, 0 picks a free one. */
    public OptionalInt httpPort() {
        return httpPort;
    }

    /** How long a rendezvous relay peer waits for its pair ({@code --relay-hold}, rendezvous 2.3). */
    public Duration relayHold() {
        return relayHold;
    }

    /** Records every stream and relay pair ({@code --record}); null for none. */
    public Recorder recorder() {
        return recorder;
    }

    /**
     * Whether a rendezvous peer without a token may use a relay id in MeshCentral's shape, which a stranger could
     * guess ({@code --relay-guessable-ids}, rendezvous 1.2).
     */
    public boolean relayGuessableIds() {
        return relayGuessableIds;
    }

    /** The longest message a rendezvous peer may send, in bytes; 0 for no limit ({@code --relay-max-message}). */
    public long relayMaxMessage() {
        return relayMaxMessage;
    }

    /** Hears devices, streams and refusals, for metrics ({@code --admin}); {@link GatewayObserver#NONE} by default. */
    public GatewayObserver observer() {
        return observer;
    }

    /** Where the admin listener listens ({@code --admin}); null when it is off, the default. */
    public InetSocketAddress admin() {
        return admin;
    }

    /** The admin listener's TLS context; null serves plain HTTP, which only a loopback address may. */
    public SslContext adminTls() {
        return adminTls;
    }

    /**
     * Bounds against a hostile internet (protocol-spec/limits.md): per-source connections and streams, the stream
     * idle timeout, memory budgets, the token grace.
     */
    public GuardLimits guardLimits() {
        return guardLimits;
    }

    /** The cluster this gateway is a node of ({@code --cluster}, protocol-spec/cluster.md); null for a single node. */
    public ClusterMember cluster() {
        return cluster;
    }

    @Override
    public String toString() {
        return "GatewayConfig(listen: " + listen + ", tls: " + (tls != null) + ", publicBindHost: " + publicBindHost
                + ", allowedPorts: " + allowedPorts + ", limits: " + limits + ", pingInterval: "
                + Durations.format(pingInterval) + ", pingTimeout: " + Durations.format(pingTimeout)
                + ", handshakeTimeout: " + Durations.format(handshakeTimeout) + ", drainTimeout: "
                + Durations.format(drainTimeout) + ", tlsPort: " + port(tlsPort)
                + ", httpPort: " + port(httpPort) + ", relayHold: " + Durations.format(relayHold) + ", recorder: "
                + (recorder == null ? "none" : recorder.directory() + " (" + recorder.format().word() + ')')
                + ", relayGuessableIds: " + relayGuessableIds + ", relayMaxMessage: " + relayMaxMessage
                + ", guardLimits: " + guardLimits + ", cluster: " + (cluster == null ? "none" : cluster) + ", admin: "
                + (admin == null ? "off" : admin.getHostString() + ':' + admin.getPort() + (adminTls == null ? "" : " (TLS)"))
                + ')';
    }

    private static String port(OptionalInt port) {
        return port.isPresent() ? Integer.toString(port.getAsInt()) : "none";
    }

    /** Collects a {@link GatewayConfig}; every setting but the verifier has a default. */
    public static final class Builder {

        private InetSocketAddress listen = DEFAULT_LISTEN;
        private SslContext tls;
        private TokenVerifier verifier;
        private String publicBindHost = DEFAULT_PUBLIC_BIND_HOST;
        private PortRange allowedPorts = PortRange.UNPRIVILEGED;
        private TunnelLimits limits = TunnelLimits.DEFAULT;
        private Duration pingInterval = DEFAULT_PING_INTERVAL;
        private Duration pingTimeout = DEFAULT_PING_TIMEOUT;
        private Duration handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT;
        private Duration drainTimeout = DEFAULT_DRAIN_TIMEOUT;
        private OptionalInt tlsPort = OptionalInt.of(DEFAULT_TLS_PORT);
        private OptionalInt httpPort = OptionalInt.of(DEFAULT_HTTP_PORT);
        private Duration relayHold = Rendezvous.DEFAULT_HOLD;
        private Recorder recorder;
        private boolean relayGuessableIds;
        private long relayMaxMessage;
        private GatewayObserver observer = GatewayObserver.NONE;
        private InetSocketAddress admin;
        private SslContext adminTls;
        private GuardLimits guardLimits = GuardLimits.DEFAULT;
        private ClusterMember cluster;

        private Builder() {
        }

        private Builder(GatewayConfig c) {
            listen = c.listen;
            tls = c.tls;
            verifier = c.verifier;
            publicBindHost = c.publicBindHost;
            allowedPorts = c.allowedPorts;
            limits = c.limits;
            pingInterval = c.pingInterval;
            pingTimeout = c.pingTimeout;
            handshakeTimeout = c.handshakeTimeout;
            drainTimeout = c.drainTimeout;
            tlsPort = c.tlsPort;
            httpPort = c.httpPort;
            relayHold = c.relayHold;
            recorder = c.recorder;
            relayGuessableIds = c.relayGuessableIds;
            relayMaxMessage = c.relayMaxMessage;
            observer = c.observer;
            admin = c.admin;
            adminTls = c.adminTls;
            guardLimits = c.guardLimits;
            cluster = c.cluster;
        }

        /** Makes the gateway a node of this cluster; null keeps it a single node. Default: null. */
        public Builder cluster(ClusterMember cluster) {
            this.cluster = cluster;
            return this;
        }

        public Builder listen(InetSocketAddress listen) {
            this.listen = requireNonNull(listen, "listen");
            return this;
        }

        /** The server TLS context; null serves plain WebSocket ({@code --no-tls}). Default: null. */
        public Builder tls(SslContext tls) {
            this.tls = tls;
            return this;
        }

        public Builder verifier(TokenVerifier verifier) {
            this.verifier = requireNonNull(verifier, "verifier");
            return this;
        }

        public Builder publicBindHost(String publicBindHost) {
            this.publicBindHost = requireNonNull(publicBindHost, "publicBindHost");
            return this;
        }

        public Builder allowedPorts(PortRange allowedPorts) {
            this.allowedPorts = requireNonNull(allowedPorts, "allowedPorts");
            return this;
        }

        public Builder limits(TunnelLimits limits) {
            this.limits = requireNonNull(limits, "limits");
            return this;
        }

        public Builder pingInterval(Duration pingInterval) {
            this.pingInterval = requireNonNull(pingInterval, "pingInterval");
            return this;
        }

        public Builder pingTimeout(Duration pingTimeout) {
            this.pingTimeout = requireNonNull(pingTimeout, "pingTimeout");
            return this;
        }

        /** How long a stopping gateway lets open streams finish before it cuts them (SIGTERM, SIGINT). */
        public Builder drainTimeout(Duration drainTimeout) {
            this.drainTimeout = requireNonNull(drainTimeout, "drainTimeout");
            return this;
        }

        public Builder handshakeTimeout(Duration handshakeTimeout) {
            this.handshakeTimeout = requireNonNull(handshakeTimeout, "handshakeTimeout");
            return this;
        }

        /** The shared TLS port: empty for none, 0 for any free port. */
        public Builder tlsPort(OptionalInt tlsPort) {
            this.tlsPort = requireNonNull(tlsPort, "tlsPort");
            return this;
        }

        /** The shared HTTP port: empty for none, 0 for any free port. */
        public Builder httpPort(OptionalInt httpPort) {
            this.httpPort = requireNonNull(httpPort, "httpPort");
            return this;
        }

        public Builder relayHold(Duration relayHold) {
            this.relayHold = requireNonNull(relayHold, "relayHold");
            return this;
        }

        /** Records every stream; null records nothing. Default: null. */
        public Builder recorder(Recorder recorder) {
            this.recorder = recorder;
            return this;
        }

        /** Lets peers without a token use relay ids in MeshCentral's shape. Default: false. */
        public Builder relayGuessableIds(boolean relayGuessableIds) {
            this.relayGuessableIds = relayGuessableIds;
            return this;
        }

        /** The longest relayed message in bytes, 0 for no limit. Default: 0. */
        public Builder relayMaxMessage(long relayMaxMessage) {
            this.relayMaxMessage = relayMaxMessage;
            return this;
        }

        /** Bounds of protocol-spec/limits.md. Default: {@link GuardLimits#DEFAULT}. */
        public Builder guardLimits(GuardLimits guardLimits) {
            this.guardLimits = requireNonNull(guardLimits, "guardLimits");
            return this;
        }

        /**
         * @throws IllegalArgumentException naming the option when a value is out of range or two disagree
         * @throws NullPointerException     when no verifier was given
         */
        public Builder observer(GatewayObserver observer) {
            this.observer = requireNonNull(observer, "observer");
            return this;
        }

        public Builder admin(InetSocketAddress admin) {
            this.admin = admin;
            return this;
        }

        public Builder adminTls(SslContext adminTls) {
            this.adminTls = adminTls;
            return this;
        }

        public GatewayConfig build() {
            requireNonNull(verifier, "verifier");
            checkPort(tlsPort, "--tls-port");
            checkPort(httpPort, "--http-port");
            checkPositive(pingInterval, "--ping-interval");
            checkPositive(handshakeTimeout, "handshake timeout");
            checkPositive(relayHold, "--relay-hold");
            if (relayMaxMessage < 0) {
                throw new IllegalArgumentException("--relay-max-message (" + relayMaxMessage
                        + ") must not be negative (expected: 0 for no limit, or a size)");
            }
            if (pingTimeout.compareTo(pingInterval) <= 0) {
                throw new IllegalArgumentException("--ping-timeout (" + Durations.format(pingTimeout)
                        + ") must exceed --ping-interval (" + Durations.format(pingInterval) + ')');
            }
            if (admin != null && adminTls == null && !isLoopback(admin)) {
                // admin 2.1: the admin token would cross the network in the clear
                throw new IllegalArgumentException("--admin " + admin.getHostString() + ':' + admin.getPort()
                        + " is not a loopback address, so it needs TLS (expected: a loopback address such as "
                        + DEFAULT_ADMIN.getHostString() + ", or TLS from the gateway's certificate or --admin-cert "
                        + "and --admin-key)");
            }
            return new GatewayConfig(this);
        }

        private static boolean isLoopback(InetSocketAddress address) {
            return address.getAddress() != null && address.getAddress().isLoopbackAddress();
        }

        private static void checkPort(OptionalInt port, String option) {
            if (port.isPresent() && (port.getAsInt() < 0 || port.getAsInt() > 65535)) {
                throw new IllegalArgumentException(option + " (" + port.getAsInt() + ") must be a port 0 to 65535"
                        + " (0 picks a free one)");
            }
        }

        private static void checkPositive(Duration d, String option) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(option + " (" + Durations.format(d) + ") must be positive");
            }
        }
    }
}
