package dev.mproxy.cli;

import java.time.Duration;
import picocli.CommandLine.Option;

/** {@code --drain-timeout}: how long {@code gateway} and {@code connect} let open streams finish when stopped. */
final class DrainOption {

    @Option(names = "--drain-timeout", paramLabel = "DURATION", defaultValue = "10s",
            converter = Converters.AnyDuration.class,
            description = "On SIGTERM or SIGINT: stop taking new connections, let open streams finish for up to "
                + "this long, then close them and exit (0, or 143 when streams were cut; a second signal cuts at "
                + "once). 0s cuts at once (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    /** The exit status once drained: 143 (128 + SIGTERM) when streams were cut, else 0. */
    static int exitCode(int cut) {
        return cut > 0 ? ExitCodes.TERMINATED : ExitCodes.OK;
    }
}
