package dev.mproxy.cli;

import dev.mproxy.tunnel.TunnelLimits;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** {@code --max-streams}, the same on both ends of a tunnel (streams 4.4). */
final class TunnelLimitOptions {

    @Option(names = "--max-streams", paramLabel = "N", defaultValue = "1024",
            description = "Streams one tunnel may carry at once; a new one past this is refused "
                    + "(default: ${DEFAULT-VALUE}).")
    int maxStreams;

    /** The default limits with {@code --max-streams} applied. */
    TunnelLimits limits(CommandSpec spec) {
        if (maxStreams < 1) {
            throw new ParameterException(spec.commandLine(),
                    "--max-streams must be at least 1 (found: " + maxStreams + ')');
        }
        TunnelLimits defaults = TunnelLimits.DEFAULT;
        return new TunnelLimits(defaults.streamWaterMark(), defaults.pauseIgnoredLimit(), maxStreams);
    }
}
