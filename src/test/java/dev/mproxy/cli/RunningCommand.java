package dev.mproxy.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PipedReader;
import java.io.PipedWriter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A command running in its own thread until interrupted, its stdout readable line by line. */
final class RunningCommand {
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();
    private final Thread thread;
    private final BufferedReader lines;
    private final StringWriter err = new StringWriter();

    RunningCommand(String... args) throws IOException {
        PipedWriter pipe = new PipedWriter();
        lines = new BufferedReader(new PipedReader(pipe, 64 * 1024));
        PrintWriter out = new PrintWriter(pipe, true);
        thread = new Thread(() -> {
            try {
                exit.complete(MproxyCommand.commandLine(out, new PrintWriter(err, true))
                        .execute(args));
            } catch (Throwable e) {
                exit.completeExceptionally(e);
            } finally {
                out.close();
            }
        }, "mproxy " + args[0]);
        thread.start();
    }

    Matcher awaitLine(Pattern pattern) throws IOException {
        String line;
        while ((line = lines.readLine()) != null) {
            Matcher m = pattern.matcher(line);
            if (m.find()) {
                return m;
            }
        }
        throw new AssertionError("output ended without a line matching " + pattern + "; stderr: " + err);
    }

    /** The command's exit code once it ends by itself, within {@code seconds}. */
    int awaitExit(long seconds) throws Exception {
        return exit.get(seconds, TimeUnit.SECONDS);
    }

    /** What the command wrote to its stderr so far. */
    String err() {
        return err.toString();
    }

    /** Interrupts the command as a signal would stop it; returns its exit code once it has closed. */
    int stop() throws Exception {
        thread.interrupt();
        CompletableFuture.runAsync(() -> {
            try {
                lines.transferTo(Writer.nullWriter());
            } catch (IOException e) {
                // the pipe closed with the command
            }
        });
        return exit.get(20, TimeUnit.SECONDS);
    }
}
