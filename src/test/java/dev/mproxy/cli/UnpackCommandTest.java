package dev.mproxy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mproxy.testing.Testdata;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code mproxy unpack} output format and failure reporting (protocol-spec §7). */
class UnpackCommandTest {

    private static final Path TESTDATA = Testdata.ROOT;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> KEYS =
            List.of("type", "family", "address", "port", "service", "serviceport", "name", "data");

    @TempDir
    Path tmp;

    static Stream<String> messageCases() {
        return Testdata.files("messages", ".bin");
    }

    static Stream<String> invalidCases() {
        return Testdata.files("invalid", ".bin");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("messageCases")
    void printsOneJsonObjectPerMessageWithExactlyTheKeys(String name) throws IOException {
        Cli.Run run = Cli.run("unpack", TESTDATA.resolve("messages/" + name + ".bin").toString());
        assertEquals(0, run.exitCode(), run.err());
        assertEquals("", run.err());
        assertEquals(lines(Files.readString(TESTDATA.resolve("messages/" + name + ".jsonl"))), lines(run.out()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidCases")
    void corruptInputPrintsMessagesBeforeTheFaultThenOneErrorLineAndExits65(String name) throws IOException {
        Properties expect = Testdata.expectations(TESTDATA.resolve("invalid/" + name + ".expect"));
        Cli.Run run = Cli.run("unpack", TESTDATA.resolve("invalid/" + name + ".bin").toString());
        assertEquals(65, run.exitCode());
        assertEquals(Integer.parseInt(expect.getProperty("messages")), run.out().lines().count(), run.out());
        assertEquals(1, run.err().lines().count(), run.err());
        assertTrue(run.err().startsWith("mproxy unpack: "), run.err());
        assertTrue(run.err().contains(" at offset " + expect.getProperty("offset") + " "), run.err());
        assertTrue(run.err().contains("[M-PROXY rule " + expect.getProperty("rule") + "]"), run.err());
    }

    @Test
    void truncatedInputIsRule27() {
        Cli.Run run = Cli.run("unpack", TESTDATA.resolve("truncated/body-partial-after-2.bin").toString());
        assertEquals(65, run.exitCode());
        assertEquals(2, run.out().lines().count());
        assertTrue(run.err().contains("stream ends inside a message"), run.err());
    }

    @Test
    void largeStreamIsDecodedAcrossReadChunks() throws IOException {
        // multi-random-60 is larger than one 64 KiB read, so messages straddle reads
        Path bin = TESTDATA.resolve("messages/multi-random-60.bin");
        assertTrue(Files.size(bin) > 64 * 1024);
        Cli.Run run = Cli.run("unpack", bin.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(60, run.out().lines().count());
    }

    @Test
    void verboseAddsTheStackTrace() {
        Cli.Run run = Cli.run("unpack", "--verbose", TESTDATA.resolve("invalid/version-http-request.bin").toString());
        assertEquals(65, run.exitCode());
        assertTrue(run.err().lines().count() > 1);
        assertTrue(run.err().contains("MproxyProtocolException"), run.err());
    }

    @Test
    void missingFileIsAFailure() {
        Cli.Run run = Cli.run("unpack", tmp.resolve("absent.bin").toString());
        assertEquals(1, run.exitCode());
        assertTrue(run.err().contains("absent.bin: no such file"), run.err());
    }

    /** Each line parsed, with its key order, so formatting choices (escapes) do not matter but order does. */
    private static List<JsonNode> lines(String text) throws IOException {
        List<JsonNode> nodes = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode node = JSON.readTree(line);
            List<String> keys = new ArrayList<>();
            node.fieldNames().forEachRemaining(keys::add);
            assertEquals(KEYS, keys, line);
            nodes.add(node);
        }
        return nodes;
    }
}
