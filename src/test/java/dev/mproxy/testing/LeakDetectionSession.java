package dev.mproxy.testing;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/** Installs {@link LeakReports} when the test run starts, before any test class touches a buffer. */
public final class LeakDetectionSession implements LauncherSessionListener {

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        LeakReports.install();
    }
}
