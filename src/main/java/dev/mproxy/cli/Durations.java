package dev.mproxy.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;

/** Durations on the command line: a number and {@code d}, {@code h}, {@code m} or {@code s}, e.g. 30d or 15s. */
final class Durations implements ITypeConverter<Duration> {

    private static final Pattern DURATION = Pattern.compile("([0-9]{1,9})([dhms])");

    @Override
    public Duration convert(String value) {
        Duration d = parse(value);
        if (d.isZero()) {
            throw new IllegalArgumentException("'" + value + "' is zero (expected: a positive duration)");
        }
        return d;
    }

    /** Parses {@code 30d}, {@code 12h}, {@code 45m}, {@code 90s}; zero is allowed here. */
    static Duration parse(String value) {
        Matcher m = DURATION.matcher(value);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + value
                    + "' (expected: a number and d, h, m or s, e.g. 30d, 12h, 45m, 90s)");
        }
        long amount = Long.parseLong(m.group(1));
        switch (m.group(2)) {
            case "d":
                return Duration.ofDays(amount);
            case "h":
                return Duration.ofHours(amount);
            case "m":
                return Duration.ofMinutes(amount);
            default:
                return Duration.ofSeconds(amount);
        }
    }
}
