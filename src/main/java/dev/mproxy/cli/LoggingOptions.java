package dev.mproxy.cli;

import ch.qos.logback.classic.Level;
import dev.mproxy.logging.LogFormat;
import dev.mproxy.logging.Logging;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code --log-level} and {@code --log-format}, shared by the long-running commands. Logs go to stderr. */
final class LoggingOptions {

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--log-level", paramLabel = "LEVEL",
            description = "Least severe log lines written to stderr: error, warn, info, debug, trace or off "
                + "(default: info; warn for relay --stdio).")
    String level;

    @Option(names = "--log-format", paramLabel = "FORMAT", defaultValue = "text",
            description = "text (one line per event: UTC time, level, component, key=value fields) or json "
                + "(one object per line, each key=value a field) (default: ${DEFAULT-VALUE}).")
    String format;

    /** Applies the options; {@code fallback} is the level when none was given. */
    void apply(Level fallback) {
        Level chosen;
        LogFormat chosenFormat;
        try {
            chosen = level == null ? fallback : Logging.parseLevel(level);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '--log-level': "
                    + e.getMessage());
        }
        try {
            chosenFormat = LogFormat.parse(format);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '--log-format': "
                    + e.getMessage());
        }
        Logging.configure(chosen, chosenFormat);
    }

    void apply() {
        apply(Level.INFO);
    }
}
