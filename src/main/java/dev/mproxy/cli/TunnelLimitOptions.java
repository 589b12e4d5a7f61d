package dev.mproxy.cli;

import dev.mproxy.tunnel.TunnelLimits;
import picocli.CommandLine.Option;

/** {@code --max-streams}, the same on both ends of a tunnel (streams 4.4). */
final class TunnelLimitOptions {

    @Option(names = "--max-streams", paramLabel = "N", defaultValue = "1024", converter = Converters.AtLeastOne.class,
            description = "Streams one tunnel may carry at once; a new one past this is refused "
                    + "(default: ${DEFAULT-VALUE}).")
    int maxStreams;

    /** The default limits with {@code --max-streams} applied. */
    TunnelLimits limits() {
        return TunnelLimits.DEFAULT.withMaxStreams(maxStreams);
    }
}
