package dev.mproxy.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class after which Netty reports a leaked buffer. Registered for every class through
 * {@code junit.jupiter.extensions.autodetection.enabled}.
 */
public final class NoLeaksExtension implements AfterAllCallback {

    @Override
    public void afterAll(ExtensionContext context) {
        List<String> reports = LeakReports.collect();
        if (!reports.isEmpty()) {
            fail(reports.size() + " leak report(s) after " + context.getDisplayName() + ":\n"
                    + String.join("\n\n", reports));
        }
    }
}
