package dev.mproxy.cli;

import java.time.Duration;
import picocli.CommandLine.Option;

/** {@code --ping-interval} and {@code --ping-timeout}, the same on both ends of a tunnel (control 1.4). */
final class KeepaliveOptions {

    @Option(names = "--ping-interval", paramLabel = "DURATION", defaultValue = "15s", converter = Converters.PositiveDuration.class,
            description = "WebSocket ping after this long without sending (default: ${DEFAULT-VALUE}).")
    Duration interval;

    @Option(names = "--ping-timeout", paramLabel = "DURATION", defaultValue = "45s", converter = Converters.PositiveDuration.class,
            description = "Close the tunnel after this long without a byte or pong (default: ${DEFAULT-VALUE}).")
    Duration timeout;
}
