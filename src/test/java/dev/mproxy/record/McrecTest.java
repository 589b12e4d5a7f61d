package dev.mproxy.record;

import static dev.mproxy.record.RecordingFiles.START;
import static dev.mproxy.record.RecordingFiles.cut;
import static dev.mproxy.record.RecordingFiles.randomEvents;
import static dev.mproxy.record.RecordingFiles.readAll;
import static dev.mproxy.record.RecordingFiles.session;
import static dev.mproxy.record.RecordingFiles.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mproxy.record.RecordingFiles.WriteLog;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code .mcrec} as we write and read it: protocol-spec/recording.md §3 and §4. */
@Timeout(60)
class McrecTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long START_MS = START.toEpochMilli();

    @TempDir
    Path dir;

    /** Rules 3.1-3.5 and 1.2: every block's header and payload, one write per block, the end block at the tail. */
    @Test
    void writesMeshCentralBlocks() throws IOException {
        WriteLog out = new WriteLog();
        RecordingWriter writer = RecordingFormat.MCREC.open(out, session());
        assertEquals(1, out.writes.size(), "the metadata block is written at open (rule 3.2)");
        writer.write(RecordedEvent.opened(0));
        writer.write(RecordedEvent.data(Direction.FROM_CLIENT, 1_500, ascii("GET")));
        byte[] big = new byte[70_000];
        big[69_999] = 7;
        writer.write(RecordedEvent.data(Direction.FROM_SERVER, 2_000_000, big));
        writer.write(RecordedEvent.ended(Direction.FROM_CLIENT, 3_000_000));
        writer.write(RecordedEvent.failed(Direction.FROM_SERVER, 3_000_999));
        writer.close();
        writer.close();
        assertEquals(7, out.writes.size(), "one write per block (rule 1.2)");
        assertTrue(out.closed);

        ByteBuffer file = ByteBuffer.wrap(out.all());
        // Block 1: type 1, flags 0, the JSON metadata, time = the start in epoch ms (rule 3.2).
        JsonNode m = JSON.readTree(payload(file, 1, 0, START_MS));
        assertEquals("MeshCentralRelaySession", m.get("magic").asText());
        assertTrue(m.get("ver").isInt());
        assertEquals(1, m.get("ver").asInt());
        assertEquals("stream-7", m.get("sessionid").asText());
        assertEquals("device-1", m.get("userid").asText());
        assertEquals("203.0.113.5", m.get("ipaddr1").asText());
        assertEquals(51000, m.get("port1").asInt());
        assertEquals("127.0.0.1", m.get("ipaddr2").asText());
        assertEquals(8080, m.get("port2").asInt());
        assertEquals("2024-05-06T07:08:09.123456Z", m.get("time").asText());
        assertTrue(m.get("protocol").isIntegralNumber());
        assertEquals(1, m.get("protocol").asInt());
        assertEquals("ssh", m.get("service").asText());
        assertEquals("2222", m.get("gatewayPort").asText());
        assertEquals(12, m.size());
        // OPENED, ENDED and FAILED are type-4 blocks, flags 0, timed at the last data block (the start before any)
        // with their own time inside (rule 3.4).
        assertEquals("{\"event\":\"con\",\"side\":\"client\",\"time\":" + START_MS + "}",
                text(payload(file, 4, 0, START_MS)));
        // Data: type 2, flags 1 | 2 from the client, 1 from the server; time = start ms + micros / 1000 (rule 3.3).
        assertArrayEquals(ascii("GET"), payload(file, 2, 3, START_MS + 1));
        assertArrayEquals(big, payload(file, 2, 1, START_MS + 2000));
        assertEquals("{\"event\":\"hup\",\"side\":\"client\",\"time\":" + (START_MS + 3000) + "}",
                text(payload(file, 4, 0, START_MS + 2000)));
        assertEquals("{\"event\":\"err\",\"side\":\"server\",\"time\":" + (START_MS + 3000) + "}",
                text(payload(file, 4, 0, START_MS + 2000)));
        // The end block: exactly the last 32 bytes, timed at the last event (rule 3.5).
        assertEquals(32, file.remaining());
        assertArrayEquals(ascii("MeshCentralMCREC"), payload(file, 3, 0, START_MS + 3000));
        assertFalse(file.hasRemaining());
        assertThrows(IOException.class, () -> writer.write(RecordedEvent.opened(1)));
    }

    /**
     * Rule 3.4: MeshCentral's player waits before each block from its last data block's time, so event blocks carry
     * that time and add no wait; the events read back at their own times, and the end block is at the last one.
     */
    @Test
    void eventBlocksCarryTheLastDataBlocksTimeAndTheirOwnInside() throws IOException {
        List<RecordedEvent> events = List.of(RecordedEvent.opened(3_000),
                RecordedEvent.data(Direction.FROM_CLIENT, 100_000, ascii("ls\r")),
                RecordedEvent.data(Direction.FROM_SERVER, 200_000, ascii("a b c\r\n")),
                RecordedEvent.ended(Direction.FROM_SERVER, 1_500_000),
                RecordedEvent.data(Direction.FROM_CLIENT, 1_700_000, ascii("exit\r")),
                RecordedEvent.ended(Direction.FROM_CLIENT, 2_900_000));
        Path file = write(dir.resolve("events.mcrec"), RecordingFormat.MCREC, session(), events);
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file));
        payload(bytes, 1, 0, START_MS);
        long clock = START_MS; // the player's: the last data block's time
        long waited = 0;
        int eventBlocks = 0;
        while (bytes.hasRemaining()) {
            int type = bytes.getShort(bytes.position());
            long time = bytes.getLong(bytes.position() + 8);
            waited += time - clock;
            if (type == 4) {
                assertEquals(clock, time, "an event block waits for nothing");
                eventBlocks++;
            } else if (type == 2) {
                clock = time;
            }
            bytes.position(bytes.position() + 16 + bytes.getInt(bytes.position() + 4));
        }
        assertEquals(3, eventBlocks);
        assertEquals(2_900, waited, "the replay lasts as long as the session, to its end block");
        try (RecordingReader reader = RecordingReader.open(file)) {
            assertEquals(millisecondTimes(events), readAll(reader));
        }
    }

    /** Rule 3.4: event blocks written before their own time was put inside are read at their block's time. */
    @Test
    void eventBlocksWithoutATimeAreReadAtTheirBlocksTime() throws IOException {
        long t = 1_700_000_000_000L;
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        block(file, 1, 0, t, "{\"magic\":\"MeshCentralRelaySession\",\"ver\":1}");
        block(file, 4, 0, t + 2, "{\"event\":\"con\",\"side\":\"client\"}");
        block(file, 2, 3, t + 5, "hi");
        block(file, 4, 0, t + 5, "{\"event\":\"hup\",\"side\":\"client\",\"time\":" + (t + 9) + "}");
        block(file, 4, 0, t + 7, "{\"event\":\"err\",\"side\":\"server\"}");
        block(file, 3, 0, t + 9, "MeshCentralMCREC");
        Path path = Files.write(dir.resolve("old.mcrec"), file.toByteArray());
        try (RecordingReader reader = RecordingReader.open(path)) {
            assertEquals(List.of(RecordedEvent.opened(2_000), RecordedEvent.data(Direction.FROM_CLIENT, 5_000,
                    ascii("hi")), RecordedEvent.ended(Direction.FROM_CLIENT, 9_000),
                    RecordedEvent.failed(Direction.FROM_SERVER, 7_000)), readAll(reader));
        }
    }

    /**
     * Rule 3.3: 0x2 marks the user's sides as MeshCentral marks its browser=1 peers, none, one or both; when that is
     * not the client alone, the metadata says so and 0x4 marks the client, so both directions read back apart.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"none, , 0, 0", "both, FROM_CLIENT FROM_SERVER, 2, 2", "server, FROM_SERVER, 0, 2",
        "client, FROM_CLIENT, 2, 0"})
    void userFlagMarksTheUsersSidesAndFlag4TheClientWhereItCannotTell(String userFlag, String sides,
            int clientUser, int serverUser) throws IOException {
        Set<Direction> userSides = sides == null ? Set.of() : Arrays.stream(sides.split(" ")).map(Direction::valueOf)
                .collect(Collectors.toSet());
        SessionInfo session = new SessionInfo(START, "s", null, null, null, "1", Map.of(), userSides);
        List<RecordedEvent> events = List.of(RecordedEvent.data(Direction.FROM_CLIENT, 1000, ascii("a")),
                RecordedEvent.text(Direction.FROM_SERVER, 2000, ascii("b")),
                RecordedEvent.text(Direction.FROM_CLIENT, 3000, ascii("c")),
                RecordedEvent.data(Direction.FROM_SERVER, 4000, ascii("d")));
        Path file = write(dir.resolve(userFlag + ".mcrec"), RecordingFormat.MCREC, session, events);
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file));
        JsonNode m = JSON.readTree(payload(bytes, 1, 0, START_MS));
        boolean declared = !userFlag.equals("client");
        assertEquals(declared ? userFlag : null, m.has("userFlag") ? m.get("userFlag").asText() : null);
        int client = declared ? 4 : 0;
        assertEquals("a", text(payload(bytes, 2, 1 | clientUser | client, START_MS + 1)));
        assertEquals("b", text(payload(bytes, 2, serverUser, START_MS + 2)));
        assertEquals("c", text(payload(bytes, 2, clientUser | client, START_MS + 3)));
        assertEquals("d", text(payload(bytes, 2, 1 | serverUser, START_MS + 4)));
        try (RecordingReader reader = RecordingReader.open(file)) {
            assertEquals(userSides, reader.session().userSides());
            assertEquals(events, readAll(reader));
        }
    }

    /** Rules 3.2, 4.5: a userFlag that is none of ours is garbage in the metadata. */
    @Test
    void refusesAUserFlagThatIsNoneOfOurs() throws IOException {
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        block(file, 1, 0, 0, "{\"magic\":\"MeshCentralRelaySession\",\"ver\":1,\"userFlag\":\"agent\"}");
        Path path = Files.write(dir.resolve("flag.mcrec"), file.toByteArray());
        RecordingFormatException e = assertThrows(RecordingFormatException.class, () -> RecordingReader.open(path));
        assertEquals("3.2", e.rule());
        assertTrue(e.getMessage().contains("userFlag \"agent\""), e.getMessage());
    }

    /** Rule 3.3: text has no 0x1 flag, as MeshCentral writes WebSocket text; it reads back as text (rule 4.7). */
    @Test
    void textBlocksHaveNoBinaryFlagAndReadBackAsText() throws IOException {
        List<RecordedEvent> events = List.of(RecordedEvent.opened(0),
                RecordedEvent.text(Direction.FROM_CLIENT, 1000, ascii("{\"action\":\"ping\"}")),
                RecordedEvent.data(Direction.FROM_CLIENT, 2000, new byte[] {0, 1}),
                RecordedEvent.text(Direction.FROM_SERVER, 3000, ascii("pong")),
                RecordedEvent.data(Direction.FROM_SERVER, 4000, new byte[] {2}),
                RecordedEvent.ended(Direction.FROM_CLIENT, 5000));
        Path file = write(dir.resolve("text.mcrec"), RecordingFormat.MCREC, session(), events);
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file));
        payload(bytes, 1, 0, START_MS);
        payload(bytes, 4, 0, START_MS);
        assertEquals("{\"action\":\"ping\"}", text(payload(bytes, 2, 2, START_MS + 1)), "user's side, text");
        assertArrayEquals(new byte[] {0, 1}, payload(bytes, 2, 3, START_MS + 2));
        assertEquals("pong", text(payload(bytes, 2, 0, START_MS + 3)), "server's side, text: no flag at all");
        assertArrayEquals(new byte[] {2}, payload(bytes, 2, 1, START_MS + 4));
        try (RecordingReader reader = RecordingReader.open(file)) {
            assertEquals(millisecondTimes(events), readAll(reader));
        }
    }

    /** Rule 1.2: a data block is one gathering write of its header and the payload's own buffers. */
    @Test
    void dataBuffersGoToTheFileAsTheyAreWithTheirHeader() throws IOException {
        WriteLog out = new WriteLog();
        RecordingWriter writer = RecordingFormat.MCREC.open(out, session());
        ByteBuffer first = direct("GET / ");
        ByteBuffer second = direct("HTTP/1.1");
        writer.writeData(Direction.FROM_CLIENT, 1_000, false, first, second);
        writer.writeData(Direction.FROM_CLIENT, 1_000, true, ByteBuffer.allocateDirect(0)); // no bytes: no block
        writer.close();
        assertEquals(3, out.writes.size(), "metadata, data, end");
        List<ByteBuffer> given = out.buffers.get(1);
        assertEquals(3, given.size());
        assertTrue(given.get(0).isDirect(), "the header too is handed over without a copy");
        assertSame(first, given.get(1));
        assertSame(second, given.get(2));
        ByteBuffer file = ByteBuffer.wrap(out.all());
        payload(file, 1, 0, START_MS);
        assertEquals("GET / HTTP/1.1", text(payload(file, 2, 3, START_MS + 1)));
        assertArrayEquals(ascii("MeshCentralMCREC"), payload(file, 3, 0, START_MS + 1));
    }

    /**
     * Rule 3.2: the protocol is MeshCentral's number, a JSON number (the player compares numbers, and puts the
     * field into its page unescaped); anything else is refused; nulls leave fields out.
     */
    @Test
    void protocolIsMeshCentralsNumberAndNothingElse() throws IOException {
        assertEquals(2, metadata("2").get("protocol").asInt());
        assertTrue(metadata("2").get("protocol").isIntegralNumber());
        assertTrue(metadata("-1").get("protocol").isIntegralNumber());
        for (String notANumber : List.of("02", "2.5", "https", "<img src=x onerror=alert(1)>")) {
            assertEquals("protocol: " + notANumber + " (expected: MeshCentral's protocol number, a decimal integer "
                    + "such as 1 or 2; anything else goes in a label)",
                    assertThrows(IllegalArgumentException.class, () -> metadata(notANumber)).getMessage());
        }
        JsonNode bare = metadata(null);
        assertFalse(bare.has("protocol"));
        assertFalse(bare.has("userid"));
        assertFalse(bare.has("ipaddr1"));
        assertFalse(bare.has("port2"));
    }

    /** Rule 3.2: a label named like one of our fields is refused before anything is written. */
    @Test
    void refusesLabelThatClashesWithMetadata() {
        WriteLog out = new WriteLog();
        SessionInfo s = new SessionInfo(START, "s", null, null, null, null, Map.of("time", "now"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RecordingFormat.MCREC.open(out, s));
        assertTrue(e.getMessage().startsWith("label clashes with a metadata field: time (expected: "), e.getMessage());
        assertEquals(0, out.writes.size());
    }

    /** Rule 3.3: data too large for one array is split into blocks of the same time. */
    @Test
    void splitsDataLargerThanTheLimit() throws IOException {
        WriteLog out = new WriteLog();
        McrecWriter writer = McrecWriter.open(out, session(), 4);
        writer.write(RecordedEvent.data(Direction.FROM_CLIENT, 5000, ascii("0123456789")));
        ByteBuffer file = ByteBuffer.wrap(out.all());
        payload(file, 1, 0, START_MS);
        assertArrayEquals(ascii("0123"), payload(file, 2, 3, START_MS + 5));
        assertArrayEquals(ascii("4567"), payload(file, 2, 3, START_MS + 5));
        assertArrayEquals(ascii("89"), payload(file, 2, 3, START_MS + 5));
        assertFalse(file.hasRemaining());
    }

    /** Rules 3.2-3.5, 4.6: events read back with millisecond times; the session exactly, start included. */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 42, 1234})
    void writtenEventsReadBackAtMillisecondPrecision(long seed) throws IOException {
        List<RecordedEvent> events = randomEvents(seed, 300, seed == 42 ? 200_000 : 5000);
        Path file = write(dir.resolve("r" + seed + ".mcrec"), RecordingFormat.MCREC, session(), events);
        try (RecordingReader reader = RecordingReader.open(file)) {
            assertEquals(RecordingFormat.MCREC, reader.format());
            assertEquals(session(), reader.session());
            assertEquals(millisecondTimes(events), readAll(reader));
            assertFalse(reader.truncated());
            assertNull(reader.next());
        }
    }

    /** Rule 3.2: absent fields read back as null; an unresolved address keeps its name. */
    @Test
    void sessionWithoutOptionalFieldsReadsBack() throws IOException {
        SessionInfo bare = new SessionInfo(Instant.parse("2020-01-01T00:00:00Z"), "x", null,
                InetSocketAddress.createUnresolved("client.example", 1), null, null, Map.of());
        Path file = write(dir.resolve("bare.mcrec"), RecordingFormat.MCREC, bare, List.of());
        try (RecordingReader reader = RecordingReader.open(file)) {
            assertEquals(bare, reader.session());
            assertNull(reader.next());
            assertFalse(reader.truncated());
        }
    }

    /** Rule 4.4: cut anywhere after the metadata, the file reads up to its last complete block, truncated. */
    @Test
    void cutAnywhereReadsCompleteBlocksThenReportsTruncation() throws IOException {
        List<RecordedEvent> events = List.of(RecordedEvent.opened(0),
                RecordedEvent.data(Direction.FROM_CLIENT, 10_000, ascii("hello")),
                RecordedEvent.data(Direction.FROM_SERVER, 20_000, ascii("world!")),
                RecordedEvent.ended(Direction.FROM_SERVER, 30_000));
        Path file = write(dir.resolve("whole.mcrec"), RecordingFormat.MCREC, session(), events);
        List<Long> ends = blockEnds(Files.readAllBytes(file));
        assertEquals(6, ends.size(), "metadata, 4 events, end");
        for (long length = ends.get(0); length < ends.get(5); length++) {
            Path cut = cut(file, length, dir.resolve("cut.mcrec"));
            int complete = 0;
            while (ends.get(complete + 1) <= length) {
                complete++;
            }
            try (RecordingReader reader = RecordingReader.open(cut)) {
                assertEquals(events.subList(0, complete), readAll(reader), "cut at " + length);
                assertTrue(reader.truncated(), "cut at " + length);
            }
        }
        try (RecordingReader reader = RecordingReader.open(cut(file, ends.get(4), dir.resolve("no-end.mcrec")))) {
            readAll(reader);
            assertEquals("truncated at byte " + ends.get(4) + ": no end block after the last complete block",
                    reader.truncation());
        }
        long midData = ends.get(2) + 16 + 2;
        try (RecordingReader reader = RecordingReader.open(cut(file, midData, dir.resolve("mid.mcrec")))) {
            readAll(reader);
            assertEquals("truncated at byte " + ends.get(2) + ": data block of 6 bytes has 2", reader.truncation());
        }
        try (RecordingReader reader = RecordingReader.open(cut(file, ends.get(3) + 5, dir.resolve("hdr.mcrec")))) {
            readAll(reader);
            assertEquals("truncated at byte " + ends.get(3) + ": block header has 5 of 16 bytes", reader.truncation());
        }
    }

    /** Rules 4.1, 4.4: cut inside the metadata block there is nothing to read. */
    @Test
    void cutInsideMetadataCannotBeOpened() throws IOException {
        Path file = write(dir.resolve("m.mcrec"), RecordingFormat.MCREC, session(), List.of());
        EOFException e = assertThrows(EOFException.class, () -> RecordingReader.open(cut(file, 60, dir.resolve("a"))));
        assertTrue(e.getMessage().startsWith("truncated at byte 0: metadata block of "), e.getMessage());
        // Before the magic, the first bytes no longer show a format at all.
        assertThrows(RecordingFormatException.class, () -> RecordingReader.open(cut(file, 20, dir.resolve("b"))));
    }

    /**
     * Rules 4.6, 4.7: a file as MeshCentral writes it: locale time, numeric protocol, its own fields, a string
     * frame, an AMT screenshot (type 3), an index (type 4) and the indexed end magic.
     */
    @Test
    void readsMeshCentralsOwnFile() throws IOException {
        long t = 1_700_000_000_000L;
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        block(file, 1, 0, t, "{\"magic\":\"MeshCentralRelaySession\",\"ver\":1,\"userid\":\"user//admin\","
                + "\"username\":\"admin\",\"sessionid\":\"abc\",\"ipaddr1\":\"::ffff:10.0.0.1\","
                + "\"ipaddr2\":\"10.0.0.2\","
                + "\"time\":\"11/14/2023, 10:13:20 PM\",\"protocol\":2,\"nodeid\":\"node//xyz\"}");
        block(file, 2, 2, t + 5, "{\"type\":\"options\"}"); // a string from the browser: flags 2 without 1
        block(file, 2, 1, t + 7, "\u0000\u0007\u0000\u0008abcd");
        block(file, 3, 0, t + 8, "x".repeat(100)); // AMT KVM screenshot: not an end block
        long indexAt = file.size();
        block(file, 4, 0, t + 9, "{\"indexInterval\":10,\"indexStartTime\":" + t + ",\"indexes\":[]}");
        block(file, 3, 0, indexAt, "MeshCentralMCNDX");
        Path path = Files.write(dir.resolve("mc.mcrec"), file.toByteArray());
        try (RecordingReader reader = RecordingReader.open(path)) {
            SessionInfo s = reader.session();
            assertEquals(Instant.ofEpochMilli(t), s.start(), "locale time: the block time is the start");
            assertEquals("abc", s.sessionId());
            assertEquals("user//admin", s.user());
            assertEquals("2", s.protocol());
            assertEquals(new InetSocketAddress("10.0.0.1", 0), s.client());
            assertEquals(new InetSocketAddress("10.0.0.2", 0), s.server());
            assertEquals(Map.of("username", "admin", "nodeid", "node//xyz"), s.labels());
            assertEquals(List.of(RecordedEvent.text(Direction.FROM_CLIENT, 5000, ascii("{\"type\":\"options\"}")),
                    RecordedEvent.data(Direction.FROM_SERVER, 7000, ascii("\u0000\u0007\u0000\u0008abcd"))),
                    readAll(reader));
            assertFalse(reader.truncated());
        }
    }

    /** Rule 4.6: times are read as given, relative to the metadata block, clamped at 0 and Long.MAX_VALUE. */
    @Test
    void toleratesGarbageTimes() throws IOException {
        long t = 1_700_000_000_000L;
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        block(file, 1, 0, t, "{\"magic\":\"MeshCentralRelaySession\",\"ver\":1}");
        block(file, 2, 1, t - 5000, "a"); // before the start
        block(file, 2, 1, t + 10, "b");
        // The browser recorder puts the low 32 bits of the time in the high word: here their top bit is set, so
        // the 8 bytes read as a negative time, before the start.
        assertTrue(((t & 0xffffffffL) << 32 | 32) < 0);
        block(file, 2, 1, (t & 0xffffffffL) << 32 | 32, "c");
        block(file, 2, 1, Long.MIN_VALUE, "d"); // the subtraction overflows
        block(file, 2, 1, 0x7fffffff00000020L, "f"); // far in the future: microseconds saturate
        block(file, 2, 3, t + 11, "e");
        block(file, 3, 0, t, "MeshCentralMCREC");
        Path path = Files.write(dir.resolve("times.mcrec"), file.toByteArray());
        try (RecordingReader reader = RecordingReader.open(path)) {
            assertEquals("times.mcrec", reader.session().sessionId(), "no sessionid: the file name");
            assertEquals(List.of(RecordedEvent.data(Direction.FROM_SERVER, 0, ascii("a")),
                    RecordedEvent.data(Direction.FROM_SERVER, 10_000, ascii("b")),
                    RecordedEvent.data(Direction.FROM_SERVER, 0, ascii("c")),
                    RecordedEvent.data(Direction.FROM_SERVER, 0, ascii("d")),
                    RecordedEvent.data(Direction.FROM_SERVER, Long.MAX_VALUE, ascii("f")),
                    RecordedEvent.data(Direction.FROM_CLIENT, 11_000, ascii("e"))), readAll(reader));
        }
    }

    /** Rules 3.1-3.5, 4.5: blocks that cannot be there are an exception naming their offset. */
    @ParameterizedTest
    @ValueSource(strings = {"type 9", "type 0", "metadata", "flags", "size", "end magic", "after end", "event",
        "event time"})
    void garbageIsAnExceptionWithOffset(String what) throws IOException {
        long t = 1_700_000_000_000L;
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        block(file, 1, 0, t, "{\"magic\":\"MeshCentralRelaySession\",\"ver\":1}");
        block(file, 2, 3, t, "ok");
        long offset = file.size();
        switch (what) {
            case "type 9":
                block(file, 9, 0, t, "?");
                break;
            case "type 0":
                block(file, 0, 0, t, "?");
                break;
            case "metadata":
                block(file, 1, 0, t, "{}");
                break;
            case "flags":
                block(file, 2, 4, t, "?");
                break;
            case "size":
                file.writeBytes(ByteBuffer.allocate(17).putShort((short) 2).putShort((short) 1).putInt(-1)
                        .putLong(t).array());
                break;
            case "end magic":
                block(file, 3, 0, t, "MeshCentralMCXXX");
                break;
            case "after end":
                block(file, 3, 0, t, "MeshCentralMCREC");
                offset = file.size();
                file.write('x');
                break;
            case "event time":
                block(file, 4, 0, t, "{\"event\":\"hup\",\"side\":\"server\",\"time\":\"soon\"}");
                break;
            default:
                block(file, 4, 0, t, "{\"event\":\"con\",\"side\":\"server\"}");
                break;
        }
        Path path = Files.write(dir.resolve("garbage.mcrec"), file.toByteArray());
        try (RecordingReader reader = RecordingReader.open(path)) {
            assertEquals(RecordedEvent.data(Direction.FROM_CLIENT, 0, ascii("ok")), reader.next());
            RecordingFormatException e = assertThrows(RecordingFormatException.class, reader::next);
            assertEquals(offset, e.offset(), e.getMessage());
            assertTrue(e.getMessage().contains(" at byte " + offset + " (expected: "), e.getMessage());
        }
    }

    /** Rule 3.2: a first block that is not MeshCentral's metadata is refused like the player refuses it. */
    @Test
    void refusesMetadataWithoutMagicOrVersion() throws IOException {
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        block(file, 1, 0, 0, "{\"magic\":\"MeshCentralRelaySession\",\"ver\":2}");
        Path path = Files.write(dir.resolve("v2.mcrec"), file.toByteArray());
        RecordingFormatException e = assertThrows(RecordingFormatException.class, () -> RecordingReader.open(path));
        assertEquals(0, e.offset());
        assertEquals("3.2", e.rule());
    }

    /**
     * Rule 4.5: metadata that is not JSON is a format error, whatever Jackson makes of its bytes. Found by
     * RecordingReaderFuzzTest (seed finding-metadata-read-as-utf32): "{" and three NULs made Jackson read UTF-32
     * and throw CharConversionException, a plain I/O error.
     */
    @Test
    void metadataJacksonTakesForUtf32IsAFormatError() throws IOException {
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        block(file, 1, 0, 0, "{\u0000\u0000\u0000\"magic\":\"MeshCentralRelaySession\",\"ver\":1}");
        Path path = Files.write(dir.resolve("utf32.mcrec"), file.toByteArray());
        RecordingFormatException e = assertThrows(RecordingFormatException.class, () -> RecordingReader.open(path));
        assertEquals("3.2", e.rule());
    }

    // ---- helpers ----

    /** Reads one block at the buffer's position, checking its header, and returns its payload. */
    private static byte[] payload(ByteBuffer file, int type, int flags, long millis) {
        assertEquals(type, file.getShort(), "type");
        assertEquals(flags, file.getShort(), "flags");
        int size = file.getInt();
        assertEquals(millis, file.getLong(), "time");
        byte[] payload = new byte[size];
        file.get(payload);
        return payload;
    }

    private static void block(ByteArrayOutputStream out, int type, int flags, long millis, String payload) {
        byte[] bytes = payload.getBytes(StandardCharsets.ISO_8859_1);
        out.writeBytes(ByteBuffer.allocate(16).putShort((short) type).putShort((short) flags).putInt(bytes.length)
                .putLong(millis).array());
        out.writeBytes(bytes);
    }

    /** Offsets where each block ends. */
    private static List<Long> blockEnds(byte[] bytes) {
        List<Long> ends = new ArrayList<>();
        ByteBuffer file = ByteBuffer.wrap(bytes);
        while (file.hasRemaining()) {
            file.position(file.position() + 16 + file.getInt(file.position() + 4));
            ends.add((long) file.position());
        }
        return ends;
    }

    private static JsonNode metadata(String protocol) throws IOException {
        return JSON.readTree(McrecWriter.metadata(new SessionInfo(START, "s", null, null, null, protocol, Map.of())));
    }

    /** What .mcrec keeps of each event's time: whole milliseconds after the start's millisecond (rule 3.3). */
    static List<RecordedEvent> millisecondTimes(List<RecordedEvent> events) {
        List<RecordedEvent> out = new ArrayList<>();
        for (RecordedEvent e : events) {
            long micros = e.micros() / 1000 * 1000;
            switch (e.kind()) {
                case OPENED:
                    out.add(RecordedEvent.opened(micros));
                    break;
                case DATA:
                    out.add(e.isText() ? RecordedEvent.text(e.side(), micros, e.bytes())
                            : RecordedEvent.data(e.side(), micros, e.bytes()));
                    break;
                case ENDED:
                    out.add(RecordedEvent.ended(e.side(), micros));
                    break;
                default:
                    out.add(RecordedEvent.failed(e.side(), micros));
                    break;
            }
        }
        return out;
    }

    private static ByteBuffer direct(String s) {
        byte[] bytes = ascii(s);
        return ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
