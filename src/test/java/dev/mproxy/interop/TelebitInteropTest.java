package dev.mproxy.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * mproxy against the real telebit programs, unmodified (interop/telebit/README.md): telebit's device
 * (telebitd 0.20.8) served by {@code mproxy gateway}, and {@code mproxy connect} served by telebit's relay
 * (telebit-relay 0.20.0), each in a network namespace of its own. {@code interop/telebit/run.sh} runs every
 * case and compares bytes (SHA-256); each case is reported here as a test of its own. A case that fails
 * because of a bug of telebit's own is skipped with that bug named. The whole suite is skipped only when
 * Node 10 cannot be installed from npm.
 */
@Tag("interop")
class TelebitInteropTest {

    /** run.sh's exit status when Node 10 or telebit's dependencies cannot be installed. */
    private static final int NODE_UNAVAILABLE = 3;

    @TempDir
    Path tmp;

    @TestFactory
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    Stream<DynamicTest> mproxyAndTheRealTelebitProgramsServeEachOther() throws Exception {
        Path results = tmp.resolve("results.tsv");
        Path log = tmp.resolve("run.log");
        ProcessBuilder run = new ProcessBuilder("bash", Paths.get("interop", "telebit", "run.sh").toString(),
                results.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        // mproxy as these tests see it: the classes just compiled, not a jar the package phase has yet to make
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        run.environment().put("MPROXY", java + " -cp " + System.getProperty("java.class.path")
                + " dev.mproxy.cli.Main");
        Process process = run.start();
        if (!process.waitFor(12, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            fail("interop/telebit/run.sh did not finish within 12 minutes:\n" + tail(log));
        }
        int status = process.exitValue();
        Assumptions.assumeFalse(status == NODE_UNAVAILABLE, () -> "Node 10 cannot be installed: " + tail(log));
        assertEquals(0, status, () -> "interop/telebit/run.sh failed:\n" + tail(log));
        List<String> lines = Files.readAllLines(results, StandardCharsets.UTF_8);
        assertFalse(lines.isEmpty(), () -> "no case ran:\n" + tail(log));
        return lines.stream().map(line -> line.split("\t", -1)).map(c -> DynamicTest.dynamicTest(c[0], () -> {
            String detail = c[0] + ": expected " + c[1] + ", received " + c[2] + " (" + c[4] + ')';
            switch (c[3]) {
                case "PASS":
                    break;
                case "KNOWN":
                    Assumptions.abort("known telebit difference: " + detail);
                    break;
                default:
                    fail(detail);
            }
        }));
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return lines.subList(Math.max(0, lines.size() - 60), lines.size()).stream()
                    .collect(Collectors.joining("\n"));
        } catch (IOException e) {
            return "(no log: " + e + ')';
        }
    }
}
