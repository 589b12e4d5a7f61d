package dev.mproxy.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the {@code openssl} command line tool; tests that need it are skipped where it is missing. */
final class Openssl {

    private Openssl() {
    }

    /** Skips the calling test unless {@code openssl version} runs. */
    static void assumeAvailable() {
        boolean available;
        try {
            Process p = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            available = p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            available = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            available = false;
        }
        assumeTrue(available, "openssl is not on the PATH");
    }

    /** Runs {@code openssl args...} in {@code dir} and returns its standard output; fails unless it exits 0. */
    static String run(Path dir, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "openssl did not finish: " + command);
        assertEquals(0, p.exitValue(), () -> command + " failed:\n" + output);
        return output;
    }

    /** A self-signed certificate for {@code localhost} in {@code cert.pem}, for the key in {@code key.pem}. */
    static void selfSign(Path dir, String key, String cert) throws IOException, InterruptedException {
        run(dir, "req", "-x509", "-key", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1");
    }
}
