package dev.mproxy.connector;

import static java.util.Objects.requireNonNull;

import dev.mproxy.config.Durations;
import dev.mproxy.config.GatewayUris;
import dev.mproxy.relay.Recorder;
import dev.mproxy.tls.ClientTls;
import dev.mproxy.tunnel.TunnelLimits;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Everything a {@link Connector} runs on: {@code mproxy connect}'s options as typed values, filled by the command
 * line (and, next, by a configuration file) through {@link #newBuilder()}. Immutable; checked once, by
 * {@link Builder#build()}, whose errors name the option. A setting left unset keeps its {@code DEFAULT_*}, which is
 * also the command line's default. The token, the gateway trust and the recorder are read from files by whoever
 * fills the builder; the connector closes the recorder when closed.
 */
public final class ConnectorConfig {

    /** WebSocket ping after this long without sending ({@code --ping-interval}; protocol-spec/control.md 1.4). */
    public static final Duration DEFAULT_PING_INTERVAL = Duration.ofSeconds(15);
    /** Reconnect after this long without receiving ({@code --ping-timeout}): three missed pings. */
    public static final Duration DEFAULT_PING_TIMEOUT = Duration.ofSeconds(45);
    /** The longest wait between reconnects: 1 s doubling to 30 s, as {@code connect --help} says. */
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(30);

    /** How long a stopping process lets open streams finish ({@code --drain-timeout}). */
    public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(10);

    private final URI gateway;
    private final List<URI> otherGateways;
    private final String token;
    private final Path tokenFile;
    private final ClientTls tls;
    private final Mappings mappings;
    private final TunnelLimits limits;
    private final Duration pingInterval;
    private final Duration pingTimeout;
    private final Duration maxBackoff;
    private final Duration drainTimeout;
    private final Recorder recorder;

    private ConnectorConfig(Builder b) {
        gateway = b.gateway;
        otherGateways = b.otherGateways;
        token = b.token;
        tokenFile = b.tokenFile;
        tls = b.tls;
        mappings = b.mappings;
        limits = b.limits;
        pingInterval = b.pingInterval;
        pingTimeout = b.pingTimeout;
        maxBackoff = b.maxBackoff;
        drainTimeout = b.drainTimeout;
        recorder = b.recorder;
    }

    public static Builder newBuilder() {
        return new Builder();
    }

    /** A builder holding this config's values, to change some of them. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** The gateway's WebSocket URI ({@code --gateway}): {@code wss://HOST:PORT/}, or {@code ws://}. */
    public URI gateway() {
        return gateway;
    }

    /** The device token, sent as {@code Authorization: Bearer} ({@code --token}, {@code --token-file}). */
    public String token() {
        return token;
    }

    /**
     * Every gateway to dial, in turn ({@code --gateway}, repeated): {@link #gateway()} first. The nodes of one
     * cluster (protocol-spec/cluster.md 7.1): when a tunnel closes or cannot be opened, the next is dialed.
     */
    public List<URI> gateways() {
        List<URI> all = new ArrayList<>();
        all.add(gateway);
        all.addAll(otherGateways);
        return all;
    }

    /** How to trust a {@code wss} gateway; null for {@code ws}. */
    public ClientTls tls() {
        return tls;
    }

    /** The local services by public port and by name ({@code --tcp}, {@code --https}, {@code --http}). */
    public Mappings mappings() {
        return mappings;
    }

    /** Tunnel limits ({@code --max-streams}). */
    public TunnelLimits limits() {
        return limits;
    }

    /** WebSocket ping after this long without sending ({@code --ping-interval}). */
    public Duration pingInterval() {
        return pingInterval;
    }

    /** Reconnect after this long without receiving ({@code --ping-timeout}). */
    public Duration pingTimeout() {
        return pingTimeout;
    }

    /** How long a stopping connector lets open streams finish before it cuts them (SIGTERM, SIGINT). */
    public Duration drainTimeout() {
        return drainTimeout;
    }

    /** The longest wait between reconnects. */
    public Duration maxBackoff() {
        return maxBackoff;
    }

    /** Records every stream ({@code --record}); null for none. */
    public Recorder recorder() {
        return recorder;
    }

    /** The port in the URI, or the scheme's default. */
    public int gatewayPort() {
        return gateway.getPort() > 0 ? gateway.getPort() : GatewayUris.isSecure(gateway) ? 443 : 80;
    }

    /**
     * Where the token came from ({@code --token-file}), read again before each reconnect so that a token
     * renewed in place is used once the gateway closes a tunnel whose token expired (limits 4.3); null when
     * the token was given as it is.
     */
    public Path tokenFile() {
        return tokenFile;
    }

    @Override
    public String toString() {
        return "ConnectorConfig(gateway: " + gateway + ", token: " + (token.isEmpty() ? "none" : "(hidden)")
                + ", tls: " + tls + ", mappings: " + mappings + ", limits: " + limits + ", pingInterval: "
                + Durations.format(pingInterval) + ", pingTimeout: " + Durations.format(pingTimeout)
                + ", maxBackoff: " + Durations.format(maxBackoff) + ", drainTimeout: " + Durations.format(drainTimeout)
                + ", recorder: "
                + (recorder == null ? "none" : recorder.directory() + " (" + recorder.format().word() + ')') + ')';
    }

    /** Collects a {@link ConnectorConfig}; the gateway, the token and the mappings have no default. */
    public static final class Builder {

        private URI gateway;
        private List<URI> otherGateways = List.of();
        private String token;
        private Path tokenFile;
        private ClientTls tls;
        private Mappings mappings;
        private TunnelLimits limits = TunnelLimits.DEFAULT;
        private Duration pingInterval = DEFAULT_PING_INTERVAL;
        private Duration pingTimeout = DEFAULT_PING_TIMEOUT;
        private Duration maxBackoff = DEFAULT_MAX_BACKOFF;
        private Duration drainTimeout = DEFAULT_DRAIN_TIMEOUT;
        private Recorder recorder;

        private Builder() {
        }

        private Builder(ConnectorConfig c) {
            gateway = c.gateway;
            otherGateways = c.otherGateways;
            token = c.token;
            tokenFile = c.tokenFile;
            tls = c.tls;
            mappings = c.mappings;
            limits = c.limits;
            pingInterval = c.pingInterval;
            pingTimeout = c.pingTimeout;
            maxBackoff = c.maxBackoff;
            drainTimeout = c.drainTimeout;
            recorder = c.recorder;
        }

        /**
         * Gateways to dial in turn after {@link #gateway(URI)}'s, each the node of one cluster; all with the same
         * scheme, trusted alike. Default: none.
         */
        public Builder otherGateways(List<URI> otherGateways) {
            this.otherGateways = List.copyOf(otherGateways);
            return this;
        }

        public Builder gateway(URI gateway) {
            this.gateway = requireNonNull(gateway, "gateway");
            return this;
        }

        public Builder token(String token) {
            this.token = requireNonNull(token, "token");
            return this;
        }

        /** The file the token was read from, read again before each reconnect; null for none. Default: null. */
        public Builder tokenFile(Path tokenFile) {
            this.tokenFile = tokenFile;
            return this;
        }

        /** How to trust a {@code wss} gateway; null for {@code ws}. Default: null. */
        public Builder tls(ClientTls tls) {
            this.tls = tls;
            return this;
        }

        public Builder mappings(Mappings mappings) {
            this.mappings = requireNonNull(mappings, "mappings");
            return this;
        }

        /** Only {@code tcp} mappings: public port → local service, without PROXY headers. */
        public Builder tcp(Map<Integer, InetSocketAddress> byPublicPort) {
            return mappings(Mappings.tcp(byPublicPort));
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

        /** How long a stopping connector lets open streams finish before it cuts them (SIGTERM, SIGINT). */
        public Builder drainTimeout(Duration drainTimeout) {
            this.drainTimeout = requireNonNull(drainTimeout, "drainTimeout");
            return this;
        }

        public Builder maxBackoff(Duration maxBackoff) {
            this.maxBackoff = requireNonNull(maxBackoff, "maxBackoff");
            return this;
        }

        /** Records every stream; null records nothing. Default: null. */
        public Builder recorder(Recorder recorder) {
            this.recorder = recorder;
            return this;
        }

        /**
         * @throws IllegalArgumentException naming the option when a value is not usable or two disagree
         * @throws NullPointerException     when the gateway, the token or the mappings are missing
         */
        public ConnectorConfig build() {
            requireNonNull(gateway, "gateway");
            requireNonNull(token, "token");
            requireNonNull(mappings, "mappings");
            for (URI each : otherGateways) {
                try {
                    GatewayUris.check(each);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("--gateway: " + e.getMessage(), e);
                }
                if (GatewayUris.isSecure(each) != GatewayUris.isSecure(gateway)) {
                    throw new IllegalArgumentException("--gateway " + each + " and " + gateway + " differ in "
                            + "scheme (expected: every --gateway wss://, or every one ws://)");
                }
            }
            try {
                GatewayUris.check(gateway);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--gateway: " + e.getMessage(), e);
            }
            if (GatewayUris.isSecure(gateway) && tls == null) {
                throw new IllegalArgumentException("--gateway " + gateway + " (wss) needs a TLS trust setting");
            }
            if (mappings.isEmpty()) {
                throw new IllegalArgumentException("at least one --tcp, --https or --http is required");
            }
            return new ConnectorConfig(this);
        }
    }
}
