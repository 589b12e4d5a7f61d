package dev.mproxy.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mproxy.protocol.Frames.Decoded;
import dev.mproxy.protocol.Frames.Result;
import dev.mproxy.testing.Testdata;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The vectors in testdata/, made with proxy-packer 2.0.4 (see testdata/README.md). */
class GoldenVectorsTest {

    private static final Path TESTDATA = Testdata.ROOT;
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<String> messageCases() {
        return Testdata.files("messages", ".bin");
    }

    static Stream<String> invalidCases() {
        return Testdata.files("invalid", ".bin");
    }

    static Stream<String> truncatedCases() {
        return Testdata.files("truncated", ".bin");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("messageCases")
    void referenceStreamDecodesToExpectedMessagesHoweverSplit(String name) throws IOException {
        byte[] stream = Files.readAllBytes(TESTDATA.resolve("messages/" + name + ".bin"));
        List<Decoded> expected = expectedMessages(TESTDATA.resolve("messages/" + name + ".jsonl"));

        assertDecodes(expected, Frames.decode(stream), name + " whole");
        assertDecodes(expected, Frames.decodeByteByByte(stream), name + " byte by byte");
        Random random = new Random(name.hashCode());
        for (int i = 0; i < 20; i++) {
            int[] cuts = random.ints(random.nextInt(30), 1, Math.max(2, stream.length)).distinct().sorted()
                    .toArray();
            assertDecodes(expected, Frames.decode(stream, cuts), name + " split");
        }
    }

    /** Rule 3.2 aside, one message re-encoded in the form it was made with gives the reference's bytes. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("messageCases")
    void singleReferenceMessageReencodesToTheSameBytes(String name) throws IOException {
        byte[] stream = Files.readAllBytes(TESTDATA.resolve("messages/" + name + ".bin"));
        boolean padded = name.endsWith("-pad");
        if (!padded && !name.endsWith("-nopad")) {
            return; // multi-message, mixed-form and dialect streams: covered by the decoding test
        }
        MproxyMessageEncoder encoder = padded ? MproxyMessageEncoder.PADDED : MproxyMessageEncoder.INSTANCE;
        EmbeddedChannel ch = new EmbeddedChannel(new MproxyMessageDecoder());
        ch.writeInbound(Unpooled.wrappedBuffer(stream));
        MproxyMessage m = ch.readInbound();
        try {
            ByteBuf encoded = encoder.encode(ByteBufAllocator.DEFAULT, m);
            try {
                assertArrayEquals(stream, ByteBufUtil.getBytes(encoded), name);
            } finally {
                encoded.release();
            }
        } finally {
            m.release();
            ch.finishAndReleaseAll();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidCases")
    void corruptStreamStopsAtTheFaultWithItsRuleAndOffset(String name) throws IOException {
        byte[] stream = Files.readAllBytes(TESTDATA.resolve("invalid/" + name + ".bin"));
        Properties expect = Testdata.expectations(TESTDATA.resolve("invalid/" + name + ".expect"));
        for (Result r : List.of(Frames.decode(stream), Frames.decodeByteByByte(stream))) {
            assertNotNull(r.error(), name);
            assertEquals(Integer.parseInt(expect.getProperty("messages")), r.messages().size(), name);
            assertEquals(expect.getProperty("rule"), r.error().rule(), name + ": " + r.error().getMessage());
            assertEquals(Long.parseLong(expect.getProperty("offset")), r.error().offset(),
                    name + ": " + r.error().getMessage());
            assertTrue(r.error().getMessage().endsWith("[M-PROXY rule " + expect.getProperty("rule") + "]"));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("truncatedCases")
    void truncatedStreamDeliversCompleteMessagesThenRule27(String name) throws IOException {
        byte[] stream = Files.readAllBytes(TESTDATA.resolve("truncated/" + name + ".bin"));
        Properties expect = Testdata.expectations(TESTDATA.resolve("truncated/" + name + ".expect"));
        Result r = Frames.decode(stream);
        assertEquals(Integer.parseInt(expect.getProperty("messages")), r.messages().size(), name);
        if (stream.length == 0) {
            assertNull(r.error());
        } else {
            assertEquals("2.7", r.error().rule(), name);
        }
    }

    private static void assertDecodes(List<Decoded> expected, Result result, String what) {
        assertNull(result.error(), what);
        assertEquals(expected, result.messages(), what);
    }

    /** The jsonl lines as decoded values; {@code service} is field 5, so kinds other than data drop it. */
    static List<Decoded> expectedMessages(Path jsonl) throws IOException {
        List<Decoded> messages = new ArrayList<>();
        for (String line : Files.readAllLines(jsonl, StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode j = JSON.readTree(line);
            MessageType type = MessageType.valueOf(j.get("type").textValue().toUpperCase());
            String service = type == MessageType.DATA || type == MessageType.CONNECTION
                    ? j.get("service").textValue() : "";
            messages.add(new Decoded(type, j.get("family").textValue(), j.get("address").textValue(),
                    j.get("port").textValue(), service, j.get("serviceport").textValue(),
                    j.get("name").textValue(), j.get("data").textValue()));
        }
        return messages;
    }
}
