package dev.mproxy.testing;

import static org.awaitility.Awaitility.await;

import dev.mproxy.cli.Main;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An {@code mproxy} command in a JVM of its own, as an operator runs it, that never outlives the test: it is
 * killed on {@link #close()}, and should the test's JVM die first (a surefire timeout kills it with SIGKILL, and
 * no finally block runs), the child sees its stdin end and halts by itself (see {@link #main}). Its stdout and
 * stderr go to one file, to wait on and to print when a test fails.
 */
public final class MproxyProcess implements AutoCloseable {

    /** A small heap: several of these run beside the test on a shared 2-core machine. */
    private static final List<String> JVM_OPTIONS = List.of("-Xmx128m", "-Xss512k", "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1", "-Dio.netty.leakDetection.level=simple");
    /** How a child that lost its parent exits: not a code of the command's own (cli ExitCodes). */
    static final int ORPHANED = 99;

    private final String name;
    private final Path output;
    private final Process process;

    private MproxyProcess(String name, Path output, Process process) {
        this.name = name;
        this.output = output;
        this.process = process;
    }

    /** Starts {@code mproxy ARGS...} with its output going to {@code output}. */
    public static MproxyProcess start(String name, Path output, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(JVM_OPTIONS);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(MproxyProcess.class.getName());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(output.toFile()).start(); // stdin stays a pipe from this JVM: see main
        return new MproxyProcess(name, output, process);
    }

    /** Waits until the output has a line containing {@code text}; fails with the output when the process ends. */
    public void awaitOutput(String text, Duration atMost) {
        await(name + " printing \"" + text + '"').atMost(atMost).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    if (output().contains(text)) {
                        return true;
                    }
                    if (!process.isAlive()) {
                        throw new AssertionError(name + " exited with " + process.exitValue() + ":\n" + output());
                    }
                    return false;
                });
    }

    /** All it printed so far. */
    public String output() throws IOException {
        return Files.readString(output, StandardCharsets.UTF_8);
    }

    public String name() {
        return name;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * SIGKILL, as power loss ends it: no shutdown hook, no drain, no goodbye to Redis. Returns the exit status,
     * 128 + 9 on Linux when the signal was SIGKILL.
     */
    public int kill() throws Exception {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new AssertionError(name + " still alive 10 s after SIGKILL");
        }
        return process.exitValue();
    }

    /** Kills it if it still runs and waits until it is gone. */
    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            kill();
        }
    }

    /**
     * The child's entry: a daemon thread reads stdin, which only this test's JVM holds open, and halts the child
     * when it ends; then {@code mproxy ARGS...} runs as {@link Main} runs it.
     */
    public static void main(String[] args) {
        Thread watchdog = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // nothing is ever sent: only the end matters
                }
            } catch (IOException e) {
                // the same: the parent is gone
            }
            Runtime.getRuntime().halt(ORPHANED);
        }, "mproxy-test-orphan-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        Main.main(args);
    }
}
