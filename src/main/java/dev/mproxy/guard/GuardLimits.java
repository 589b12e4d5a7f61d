package dev.mproxy.guard;

import io.netty.util.internal.ObjectUtil;
import io.netty.util.internal.PlatformDependent;
import java.time.Duration;

/**
 * The bounds of protocol-spec/limits.md that have options, with the defaults a production gateway runs on and why.
 * Immutable; {@code with*} returns a copy with one value changed.
 */
public final class GuardLimits {

    /**
     * Connections one source may hold on the public ports together, and on the device port
     * ({@code --max-connections-per-source}). 512 lets a large NAT (an office, a carrier-grade NAT) browse freely,
     * and keeps 100 attacking addresses well under a default 65,536-descriptor limit.
     */
    public static final int DEFAULT_MAX_CONNECTIONS_PER_SOURCE = 512;
    /**
     * Streams one source may hold on one device's tunnel ({@code --max-streams-per-source}): a quarter of the
     * default 1024 streams per tunnel, so at least four sources are needed to fill a device's table.
     */
    public static final int DEFAULT_MAX_STREAMS_PER_SOURCE = 256;
    /**
     * A public stream with no byte either way for this long is closed ({@code --stream-idle-timeout}). Ten minutes
     * outlasts an idle SSH session's usual keepalive (ServerAliveInterval and browsers' pings are far shorter) yet
     * frees a held stream within the hour.
     */
    public static final Duration DEFAULT_STREAM_IDLE_TIMEOUT = Duration.ofMinutes(10);
    /**
     * Bytes the gateway holds for one tunnel's slow public sockets together ({@code --tunnel-memory}): one stream's
     * hard cap (streams 4.2), so no tunnel holds more than one stream may.
     */
    public static final long DEFAULT_TUNNEL_MEMORY = 64L * 1024 * 1024;
    /** How long past its {@code exp} a live tunnel's token is honoured: clock skew and a connector's reconnect. */
    public static final Duration DEFAULT_TOKEN_GRACE = Duration.ofSeconds(30);

    /** The defaults; the gateway's memory is half of the JVM's direct memory (the other half for everything else). */
    public static final GuardLimits DEFAULT = new GuardLimits(DEFAULT_MAX_CONNECTIONS_PER_SOURCE,
            DEFAULT_MAX_STREAMS_PER_SOURCE, DEFAULT_STREAM_IDLE_TIMEOUT, DEFAULT_TUNNEL_MEMORY,
            defaultGatewayMemory(), DEFAULT_TOKEN_GRACE);

    private final int maxConnectionsPerSource;
    private final int maxStreamsPerSource;
    private final Duration streamIdleTimeout;
    private final long tunnelMemory;
    private final long gatewayMemory;
    private final Duration tokenGrace;

    public GuardLimits(int maxConnectionsPerSource, int maxStreamsPerSource, Duration streamIdleTimeout,
                       long tunnelMemory, long gatewayMemory, Duration tokenGrace) {
        this.maxConnectionsPerSource = ObjectUtil.checkPositive(maxConnectionsPerSource, "maxConnectionsPerSource");
        this.maxStreamsPerSource = ObjectUtil.checkPositive(maxStreamsPerSource, "maxStreamsPerSource");
        this.streamIdleTimeout = positive(streamIdleTimeout, "streamIdleTimeout");
        this.tunnelMemory = ObjectUtil.checkPositive(tunnelMemory, "tunnelMemory");
        this.gatewayMemory = ObjectUtil.checkPositive(gatewayMemory, "gatewayMemory");
        this.tokenGrace = ObjectUtil.checkNotNull(tokenGrace, "tokenGrace");
        if (tokenGrace.isNegative()) {
            throw new IllegalArgumentException("tokenGrace (" + tokenGrace + ") must not be negative");
        }
    }

    /** Half of {@code -XX:MaxDirectMemorySize} (by default the heap's maximum). */
    public static long defaultGatewayMemory() {
        return Math.max(1, PlatformDependent.maxDirectMemory() / 2);
    }

    public GuardLimits withMaxConnectionsPerSource(int n) {
        return new GuardLimits(n, maxStreamsPerSource, streamIdleTimeout, tunnelMemory, gatewayMemory, tokenGrace);
    }

    public GuardLimits withMaxStreamsPerSource(int n) {
        return new GuardLimits(maxConnectionsPerSource, n, streamIdleTimeout, tunnelMemory, gatewayMemory, tokenGrace);
    }

    public GuardLimits withStreamIdleTimeout(Duration d) {
        return new GuardLimits(maxConnectionsPerSource, maxStreamsPerSource, d, tunnelMemory, gatewayMemory,
                tokenGrace);
    }

    public GuardLimits withTunnelMemory(long bytes) {
        return new GuardLimits(maxConnectionsPerSource, maxStreamsPerSource, streamIdleTimeout, bytes, gatewayMemory,
                tokenGrace);
    }

    public GuardLimits withGatewayMemory(long bytes) {
        return new GuardLimits(maxConnectionsPerSource, maxStreamsPerSource, streamIdleTimeout, tunnelMemory, bytes,
                tokenGrace);
    }

    public GuardLimits withTokenGrace(Duration d) {
        return new GuardLimits(maxConnectionsPerSource, maxStreamsPerSource, streamIdleTimeout, tunnelMemory,
                gatewayMemory, d);
    }

    /** Connections one source may hold on the public ports, and on the device port (limits 2.1). */
    public int maxConnectionsPerSource() {
        return maxConnectionsPerSource;
    }

    /** Streams one source may hold on one tunnel (limits 2.2). */
    public int maxStreamsPerSource() {
        return maxStreamsPerSource;
    }

    /** A public stream without a byte either way for this long is closed (limits 2.3). */
    public Duration streamIdleTimeout() {
        return streamIdleTimeout;
    }

    /** Bytes held for one tunnel's public sockets before it is no longer read (limits 3.1). */
    public long tunnelMemory() {
        return tunnelMemory;
    }

    /** Bytes held for all tunnels before no tunnel is read and new public connections are refused (limits 3.2). */
    public long gatewayMemory() {
        return gatewayMemory;
    }

    /** How long past {@code exp} a live tunnel keeps its token (limits 4.3). */
    public Duration tokenGrace() {
        return tokenGrace;
    }

    private static Duration positive(Duration d, String name) {
        ObjectUtil.checkNotNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " (" + d + ") must be positive");
        }
        return d;
    }

    @Override
    public String toString() {
        return "GuardLimits(maxConnectionsPerSource: " + maxConnectionsPerSource + ", maxStreamsPerSource: "
                + maxStreamsPerSource + ", streamIdleTimeout: " + streamIdleTimeout + ", tunnelMemory: " + tunnelMemory
                + ", gatewayMemory: " + gatewayMemory + ", tokenGrace: " + tokenGrace + ')';
    }
}
