package dev.mproxy.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * What logback does at JVM start in place of looking for XML files: INFO and above, as text, to stderr. Found
 * through {@code META-INF/services}; commands then set their own level and format ({@link Logging}).
 */
public final class DefaultConfigurator extends ContextAwareBase implements Configurator {

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        Logging.configure(context, Level.INFO, LogFormat.TEXT, System.err);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}
