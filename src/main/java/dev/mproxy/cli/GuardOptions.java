package dev.mproxy.cli;

import dev.mproxy.guard.GuardLimits;
import java.time.Duration;
import picocli.CommandLine.Option;

/** The gateway's bounds against a hostile internet (protocol-spec/limits.md), each with its default. */
final class GuardOptions {

    @Option(names = "--handshake-timeout", paramLabel = "DURATION", defaultValue = "10s",
            converter = Converters.PositiveDuration.class,
            description = "Time from accepting a device-port connection until its TLS and WebSocket upgrade are done, "
                + "and until a token authenticates it; also how long the shared ports wait for a ClientHello or "
                + "request head. A slower connection is closed (default: ${DEFAULT-VALUE}).")
    Duration handshakeTimeout;

    @Option(names = "--max-connections-per-source", paramLabel = "N", defaultValue = "512",
            converter = Converters.AtLeastOne.class,
            description = "Connections one source (an IPv4 address, or an IPv6 /64) may hold on the public ports "
                + "together, and on the device port; more are closed at once (default: ${DEFAULT-VALUE}).")
    int maxConnectionsPerSource;

    @Option(names = "--max-streams-per-source", paramLabel = "N", defaultValue = "256",
            converter = Converters.AtLeastOne.class,
            description = "Streams one source may hold on one device's tunnel, so one address cannot take a device's "
                + "whole stream table (--max-streams) (default: ${DEFAULT-VALUE}).")
    int maxStreamsPerSource;

    @Option(names = "--stream-idle-timeout", paramLabel = "DURATION", defaultValue = "10m",
            converter = Converters.PositiveDuration.class,
            description = "A public connection with no byte either way for this long is closed "
                + "(default: ${DEFAULT-VALUE}).")
    Duration streamIdleTimeout;

    @Option(names = "--tunnel-memory", paramLabel = "SIZE", defaultValue = "64MiB", converter = Sizes.class,
            description = "Bytes the gateway holds for one tunnel's slow public clients together; past it the "
                + "tunnel is not read until they drain (default: ${DEFAULT-VALUE}).")
    long tunnelMemory;

    @Option(names = "--gateway-memory", paramLabel = "SIZE", converter = Sizes.class,
            description = "Bytes the gateway holds for all tunnels together; past it no tunnel is read and new "
                + "public connections are refused until they drain (default: half of the JVM's direct memory, "
                + "-XX:MaxDirectMemorySize).")
    Long gatewayMemory;

    /** The limits with these options applied. */
    GuardLimits limits() {
        if (tunnelMemory <= 0 || gatewayMemory != null && gatewayMemory <= 0) {
            throw new IllegalArgumentException("--tunnel-memory and --gateway-memory must be positive sizes "
                    + "(expected: e.g. 64MiB)");
        }
        return GuardLimits.DEFAULT.withMaxConnectionsPerSource(maxConnectionsPerSource)
                .withMaxStreamsPerSource(maxStreamsPerSource)
                .withStreamIdleTimeout(streamIdleTimeout)
                .withTunnelMemory(tunnelMemory)
                .withGatewayMemory(gatewayMemory != null ? gatewayMemory : GuardLimits.defaultGatewayMemory());
    }
}
