package dev.mproxy.cli;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

/** Keeps a long-running command alive until the process is asked to stop (SIGINT, SIGTERM) or interrupted. */
final class Running {

    private Running() {
    }

    static void untilStopped() {
        untilStopped(new CompletableFuture<>());
    }

    /** As {@link #untilStopped()}, or until {@code done} completes, whichever comes first. */
    static void untilStopped(CompletableFuture<?> done) {
        CountDownLatch stop = new CountDownLatch(1);
        done.whenComplete((result, failure) -> stop.countDown());
        Thread hook = new Thread(stop::countDown, "mproxy-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is already stopping; the hook has run
            }
        }
    }
}
