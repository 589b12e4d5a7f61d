package dev.mproxy.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations: a number and {@code d}, {@code h}, {@code m} or {@code s}, e.g. 30d or 15s. */
public final class Durations {

    private static final Pattern DURATION = Pattern.compile("([0-9]{1,9})([dhms])");

    private Durations() {
    }

    /** Parses {@code 30d}, {@code 12h}, {@code 45m}, {@code 90s}, and refuses zero. */
    public static Duration parsePositive(String value) {
        Duration d = parse(value);
        if (d.isZero()) {
            throw new IllegalArgumentException("'" + value + "' is zero (expected: a positive duration)");
        }
        return d;
    }

    /** Parses {@code 30d}, {@code 12h}, {@code 45m}, {@code 90s}; zero is allowed here. */
    public static Duration parse(String value) {
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

    /** {@code 15s}, {@code 2m}, {@code 30d}: the largest unit that divides it, as {@link #parse} reads it back. */
    public static String format(Duration d) {
        long s = d.getSeconds();
        if (s != 0 && d.getNano() == 0) {
            if (s % 86_400 == 0) {
                return s / 86_400 + "d";
            }
            if (s % 3600 == 0) {
                return s / 3600 + "h";
            }
            if (s % 60 == 0) {
                return s / 60 + "m";
            }
            return s + "s";
        }
        return d.getNano() == 0 ? "0s" : d.toString();
    }
}
