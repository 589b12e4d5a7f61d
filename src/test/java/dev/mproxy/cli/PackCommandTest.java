package dev.mproxy.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mproxy.testing.Testdata;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code mproxy pack} against outputs of proxy-packer's {@code node test/pack.js} (protocol-spec §7). */
class PackCommandTest {

    private static final Path TESTDATA = Testdata.ROOT;

    @TempDir
    Path tmp;

    static Stream<String> packCases() {
        return Testdata.folders("pack");
    }

    static Stream<String> refusedCases() {
        return Testdata.folders("pack-refused");
    }

    @Test
    void referenceExampleIsByteIdentical() throws IOException {
        Path out = tmp.resolve("output.bin");
        Cli.Run run = Cli.run("pack", TESTDATA.resolve("reference/input.json").toString(), out.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertArrayEquals(Files.readAllBytes(TESTDATA.resolve("reference/output.bin")), Files.readAllBytes(out));
        assertEquals("wrote 255 bytes to '" + out + "'\n", run.out());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("packCases")
    void packIsByteIdenticalToTheReference(String name) throws IOException {
        Path dir = TESTDATA.resolve("pack").resolve(name);
        Path out = tmp.resolve(name + ".bin");
        Cli.Run run = Cli.run("pack", dir.resolve("input.json").toString(), out.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertArrayEquals(Files.readAllBytes(dir.resolve("output.bin")), Files.readAllBytes(out), name);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedCases")
    void headerTheReferenceWouldCorruptIsRefusedWithExit65(String name) throws IOException {
        Path dir = TESTDATA.resolve("pack-refused").resolve(name);
        Path out = tmp.resolve(name + ".bin");
        Cli.Run run = Cli.run("pack", dir.resolve("input.json").toString(), out.toString());
        assertEquals(65, run.exitCode());
        assertTrue(run.err().startsWith("mproxy pack: "), run.err());
        assertEquals(1, run.err().lines().count(), "one line: " + run.err());
        String reason = Files.readString(dir.resolve("expected-error.txt")).trim();
        String key = reason.startsWith("header length") ? "exceeds the allowed maximum (255)"
                : reason.replace(" contains a comma", "") + " contains a comma";
        assertTrue(run.err().contains(key), run.err() + " should mention " + key);
        assertFalse(Files.exists(out), "nothing is written for refused input");
    }

    @Test
    void missingAddressIsBadInput() throws IOException {
        Path json = tmp.resolve("in.json");
        Files.writeString(json, "{\"version\":1,\"filepath\":\"x.bin\"}");
        Cli.Run run = Cli.run("pack", json.toString(), tmp.resolve("o.bin").toString());
        assertEquals(65, run.exitCode());
        assertTrue(run.err().contains("\"address\" must be an object"), run.err());
    }

    @Test
    void malformedJsonIsBadInput() throws IOException {
        Path json = tmp.resolve("in.json");
        Files.writeString(json, "{\"version\":1,");
        Cli.Run run = Cli.run("pack", json.toString(), tmp.resolve("o.bin").toString());
        assertEquals(65, run.exitCode());
        assertTrue(run.err().contains("not valid JSON"), run.err());
    }

    @Test
    void missingPayloadFileIsAFailureNamingTheFile() throws IOException {
        Path json = tmp.resolve("in.json");
        Files.writeString(json, "{\"address\":{\"family\":\"IPv4\"},\"filepath\":\"absent.bin\"}");
        Cli.Run run = Cli.run("pack", json.toString(), tmp.resolve("o.bin").toString());
        assertEquals(1, run.exitCode());
        assertTrue(run.err().contains("absent.bin: no such file"), run.err());
    }
}
