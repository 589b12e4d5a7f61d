package dev.mproxy.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.Locale;
import org.slf4j.LoggerFactory;

/**
 * Where log lines go and which: set once by each long-running command from {@code --log-level} and
 * {@code --log-format}, and at JVM start by {@link DefaultConfigurator} (INFO, text, stderr). Stdout stays
 * for what a command prints on purpose (the gateway's banner, {@code relay --stdio}'s bytes).
 */
public final class Logging {

    /** Netty's own loggers say a lot at DEBUG (platform probing, allocator sizes): they follow only at TRACE. */
    private static final String NETTY = "io.netty";

    private Logging() {
    }

    /** The levels {@code --log-level} takes. */
    public static Level parseLevel(String value) {
        String name = value.strip().toUpperCase(Locale.ROOT);
        Level level = Level.toLevel(name, null);
        if (level == null || level == Level.ALL) {
            throw new IllegalArgumentException("'" + value + "' is not a log level (expected: error, warn, info, "
                    + "debug, trace or off)");
        }
        return level;
    }

    /** Log lines of {@code level} and above, in {@code format}, to the process's stderr. */
    public static void configure(Level level, LogFormat format) {
        configure(level, format, System.err);
    }

    /** Log lines of {@code level} and above, in {@code format}, to {@code out} (tests read it). */
    public static void configure(Level level, LogFormat format, OutputStream out) {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        configure(context, level, format, out);
    }

    static void configure(LoggerContext context, Level level, LogFormat format, OutputStream out) {
        context.reset();
        LineLayout layout = new LineLayout(format, !level.isGreaterOrEqual(Level.INFO));
        layout.setContext(context);
        layout.start();
        LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
        encoder.setContext(context);
        encoder.setLayout(layout);
        encoder.start();
        OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
        appender.setContext(context);
        appender.setName(format.toString());
        appender.setEncoder(encoder);
        appender.setImmediateFlush(true);
        appender.setOutputStream(out instanceof PrintStream ? new NonClosing(out) : out);
        appender.start();
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.addAppender(appender);
        root.setLevel(level);
        context.getLogger(NETTY).setLevel(level == Level.TRACE || level.isGreaterOrEqual(Level.INFO) ? level
                : Level.INFO);
    }

    /** The process's stderr outlives any reconfiguration: the appender's stop must not close it. */
    private static final class NonClosing extends java.io.FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws java.io.IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws java.io.IOException {
            flush();
        }
    }
}
