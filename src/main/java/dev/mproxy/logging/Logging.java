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
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.LoggerFactory;

/**
 * Where log lines go and which: set once by each long-running command from {@code --log-level} and
 * {@code --log-format}, and at JVM start by {@link DefaultConfigurator} (INFO, text, stderr). Stdout stays
 * for what a command prints on purpose (the gateway's banner, {@code relay --stdio}'s bytes).
 */
public final class Logging {

    /** Netty's own loggers say a lot at DEBUG (platform probing, allocator sizes): they follow only at TRACE. */
    private static final String NETTY = "io.netty";
    private static final AtomicBoolean FLUSH_AT_EXIT = new AtomicBoolean();

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

    /**
     * Log lines of {@code level} and above, in {@code format}, to the process's stderr, in batches
     * ({@link BatchingAppender}: WARN and above at once, the rest within 100 ms, all of it at exit).
     */
    public static void configure(Level level, LogFormat format) {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        configure(context, level, format, System.err);
    }

    /** Log lines of {@code level} and above, in {@code format}, to {@code out}, each line at once (tests read it). */
    public static void configure(Level level, LogFormat format, OutputStream out) {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        configure(context, level, format, out, new OutputStreamAppender<>());
    }

    /** The process's stderr, batched; what {@link DefaultConfigurator} sets at JVM start. */
    static void configure(LoggerContext context, Level level, LogFormat format, OutputStream stderr) {
        configure(context, level, format, stderr, new BatchingAppender());
        if (FLUSH_AT_EXIT.compareAndSet(false, true)) { // what the log holds back is written before the JVM exits
            Runtime.getRuntime().addShutdownHook(new Thread(Logging::flush, "log-flush-at-exit"));
        }
    }

    /** Writes every line logged so far, wherever the log goes. */
    public static void flush() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).iteratorForAppenders().forEachRemaining(appender -> {
            if (appender instanceof BatchingAppender) {
                ((BatchingAppender) appender).flush();
            }
        });
    }

    private static void configure(LoggerContext context, Level level, LogFormat format, OutputStream out,
                                  OutputStreamAppender<ILoggingEvent> appender) {
        context.reset();
        LineLayout layout = new LineLayout(format, !level.isGreaterOrEqual(Level.INFO));
        layout.setContext(context);
        layout.start();
        LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
        encoder.setContext(context);
        encoder.setLayout(layout);
        encoder.start();
        appender.setContext(context);
        appender.setName(format.toString());
        appender.setEncoder(encoder);
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
