package dev.mproxy.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Keeps a long-running command alive until the process is asked to stop (SIGTERM, SIGINT), the command's own
 * work ends, or its thread is interrupted. The signals are handled here rather than by shutdown hooks, so the
 * command can drain (let open streams finish) and choose its exit status; a second signal while it drains
 * forces it ({@link #forced}).
 */
final class Running implements AutoCloseable {

    private static final String[] STOP_SIGNALS = {"TERM", "INT"};

    private final CountDownLatch stop = new CountDownLatch(1);
    private final CountDownLatch force = new CountDownLatch(1);
    private final List<Runnable> restore = new ArrayList<>();
    private volatile String signal;

    private Running() {
    }

    /** Handles SIGTERM and SIGINT from now until {@link #close()}. */
    static Running start() {
        Running running = new Running();
        for (String name : STOP_SIGNALS) {
            running.handle(name, sig -> {
                running.signal = "SIG" + sig.getName();
                if (running.stop.getCount() == 0) {
                    running.force.countDown();
                }
                running.stop.countDown();
            });
        }
        return running;
    }

    /** Runs {@code handler} on {@code name} (e.g. {@code HUP}) until {@link #close()}; unknown signals are ignored. */
    void handle(String name, SignalHandler handler) {
        try {
            Signal signal = new Signal(name);
            SignalHandler previous = Signal.handle(signal, handler);
            restore.add(() -> Signal.handle(signal, previous));
        } catch (IllegalArgumentException unsupported) {
            // not on this platform, or the JVM uses it itself (-Xrs): the default stays
        }
    }

    /** Waits for a stop signal, an interrupt (tests stop commands so), or {@code done}, whichever comes first. */
    void await(CompletableFuture<?> done) {
        done.whenComplete((result, failure) -> stop.countDown());
        try {
            stop.await();
        } catch (InterruptedException e) {
            // the interrupt was the request to stop, and is handled: the command drains and returns
        }
    }

    /** Waits up to {@code millis} for a second stop signal: true once the user insists. */
    boolean forced(long millis) {
        try {
            return force.await(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    /** The signal that stopped the command, like {@code SIGTERM}; null if it was not a signal. */
    String signal() {
        return signal;
    }

    @Override
    public void close() {
        restore.forEach(Runnable::run);
    }

    /** As {@link #await}, for commands that need no drain: handlers in place while waiting only. */
    static void untilStopped(CompletableFuture<?> done) {
        try (Running running = start()) {
            running.await(done);
        }
    }

    static void untilStopped() {
        untilStopped(new CompletableFuture<>());
    }
}
