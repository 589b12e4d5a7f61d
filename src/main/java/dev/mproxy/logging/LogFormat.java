package dev.mproxy.logging;

import java.util.Locale;

/** How a log line is written: {@code text} for people, {@code json} (one object per line) for log shippers. */
public enum LogFormat {
    TEXT,
    JSON;

    /** {@code text} or {@code json}, in any case. */
    public static LogFormat parse(String value) {
        try {
            return valueOf(value.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + value + "' is not a log format (expected: text or json)");
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
