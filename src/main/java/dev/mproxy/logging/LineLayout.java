package dev.mproxy.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.LayoutBase;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One line per event, whatever the message holds: line breaks and other control characters in it (a peer's
 * text, say) are escaped, so nobody can start a log line of their own.
 *
 * <pre>
 * text: 2026-12-03T06:03:16.123Z WARN  connector gateway=wss://gw:7443 the connection closed; retrying
 * json: {"time":"2026-12-03T06:03:16.123Z","level":"WARN","component":"connector","msg":"...","gateway":"wss://gw:7443"}
 * </pre>
 *
 * In JSON, each {@code key=value} of the message (a value may be double-quoted) is also a field of its own. An
 * exception adds {@code error=}; its stack trace only at DEBUG and below, where it is wanted.
 */
final class LineLayout extends LayoutBase<ILoggingEvent> {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'",
            Locale.ROOT).withZone(ZoneOffset.UTC);

    /** {@code key=value} or {@code key="quoted value"}, at the start or after a space. */
    private static final Pattern FIELD = Pattern.compile("(?<=^|\\s)([a-z][a-z_]*)=(\"(?:[^\"\\\\]|\\\\.)*\"|[^\\s;,]+)");

    private static final String PREFIX = "dev.mproxy.";

    private final LogFormat format;
    private final boolean stackTraces;

    LineLayout(LogFormat format, boolean stackTraces) {
        this.format = format;
        this.stackTraces = stackTraces;
    }

    @Override
    public String doLayout(ILoggingEvent event) {
        String time = TIME.format(Instant.ofEpochMilli(event.getTimeStamp()));
        String component = component(event.getLoggerName());
        String message = event.getFormattedMessage();
        IThrowableProxy thrown = event.getThrowableProxy();
        String error = thrown == null ? null : thrown.getClassName() + (thrown.getMessage() == null ? ""
                : ": " + thrown.getMessage());
        String stack = thrown != null && stackTraces ? ThrowableProxyUtil.asString(thrown) : null;
        return format == LogFormat.JSON ? json(time, event.getLevel(), component, message, error, stack)
                : text(time, event.getLevel(), component, message, error, stack);
    }

    private static String text(String time, Level level, String component, String message, String error,
                               String stack) {
        StringBuilder line = new StringBuilder(96 + message.length()).append(time).append(' ');
        String name = level.toString();
        line.append(name);
        for (int i = name.length(); i < 5; i++) {
            line.append(' ');
        }
        line.append(' ').append(component).append(' ');
        escape(message, line, false);
        if (error != null) {
            line.append(" error=\"");
            escape(error, line, true);
            line.append('"');
        }
        if (stack != null) {
            line.append(" stack=\"");
            escape(stack, line, true);
            line.append('"');
        }
        return line.append('\n').toString();
    }

    private static String json(String time, Level level, String component, String message, String error,
                               String stack) {
        StringBuilder line = new StringBuilder(128 + message.length());
        line.append("{\"time\":\"").append(time).append("\",\"level\":\"").append(level).append("\",\"component\":");
        string(component, line);
        line.append(",\"msg\":");
        string(message, line);
        Matcher field = FIELD.matcher(message);
        while (field.find()) {
            String key = field.group(1);
            if (key.equals("time") || key.equals("level") || key.equals("component") || key.equals("msg")) {
                continue;
            }
            String value = field.group(2);
            if (value.length() >= 2 && value.charAt(0) == '"') {
                value = value.substring(1, value.length() - 1).replace("\\\"", "\"").replace("\\\\", "\\");
            }
            line.append(',');
            string(key, line);
            line.append(':');
            if (value.matches("-?[0-9]{1,15}")) {
                line.append(value);
            } else {
                string(value, line);
            }
        }
        if (error != null) {
            line.append(",\"error\":");
            string(error, line);
        }
        if (stack != null) {
            line.append(",\"stack\":");
            string(stack, line);
        }
        return line.append("}\n").toString();
    }

    /** The package under {@code dev.mproxy} ({@code gateway}, {@code connector}, ...), {@code netty} for Netty's. */
    static String component(String loggerName) {
        if (loggerName.startsWith(PREFIX)) {
            String rest = loggerName.substring(PREFIX.length());
            int dot = rest.indexOf('.');
            return dot < 0 ? rest : rest.substring(0, dot);
        }
        return loggerName.startsWith("io.netty.") ? "netty" : loggerName;
    }

    private static void string(String value, StringBuilder out) {
        out.append('"');
        escape(value, out, true);
        out.append('"');
    }

    /** Control characters as JSON escapes; {@code "} and {@code \} too when {@code quotes}. */
    private static void escape(String value, StringBuilder out, boolean quotes) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (quotes && (c == '"' || c == '\\')) {
                out.append('\\').append(c);
            } else if (c == '\n') {
                out.append("\\n");
            } else if (c == '\r') {
                out.append("\\r");
            } else if (c == '\t') {
                out.append("\\t");
            } else if (c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029') {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
    }
}
