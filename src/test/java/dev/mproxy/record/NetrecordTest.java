package dev.mproxy.record;

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

import dev.mproxy.record.RecordingFiles.StreamLog;
import dev.mproxy.record.RecordingFiles.WriteLog;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** netrecord as we write and read it: protocol-spec/recording.md §2 and §4. */
@Timeout(60)
class NetrecordTest {

    private static final Instant START = Instant.parse("2024-01-02T03:04:05Z");

    @TempDir
    Path dir;

    /** Rules 2.1-2.3 and 1.2: the exact bytes, one write per record, nothing at open. */
    @Test
    void writesKnownSequenceByteForByte() throws IOException {
        WriteLog out = new WriteLog();
        RecordingWriter writer = RecordingFormat.NETRECORD.open(out, session());
        assertEquals(0, out.writes.size(), "netrecord writes nothing at open (rule 2.3)");

        writer.write(RecordedEvent.opened(0));
        writer.write(RecordedEvent.data(Direction.FROM_CLIENT, 999_999, ascii("a\nb\0c")));
        writer.write(RecordedEvent.data(Direction.FROM_SERVER, 1_000_000, new byte[] {0, '\n', (byte) 0xff}));
        writer.write(RecordedEvent.ended(Direction.FROM_CLIENT, 12_000_005));
        writer.write(RecordedEvent.failed(Direction.FROM_SERVER, 3_600_123_456L));
        writer.close();
        writer.close(); // twice does nothing

        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.writeBytes(ascii("c 0.000000 con\n"));
        expected.writeBytes(ascii("c 0.999999 5\n"));
        expected.writeBytes(new byte[] {'a', '\n', 'b', 0, 'c'});
        expected.writeBytes(ascii("s 1.000000 3\n")); // a whole second: no borrow, no 1000000 (rule 2.2)
        expected.writeBytes(new byte[] {0, '\n', (byte) 0xff});
        expected.writeBytes(ascii("c 12.000005 hup\n"));
        expected.writeBytes(ascii("s 3600.123456 err\n"));
        assertArrayEquals(expected.toByteArray(), out.all());
        assertEquals(5, out.writes.size(), "one write per record, header and data together (rule 1.2)");
        assertTrue(out.closed);
        assertThrows(IOException.class, () -> writer.write(RecordedEvent.opened(1)));
    }

    /** Rule 2.2: the fraction is always six digits, 0 to 999999. */
    @Test
    void timestampsHaveSixDigitFractions() {
        assertEquals("0.000000", Netrecord.timestamp(0));
        assertEquals("0.000001", Netrecord.timestamp(1));
        assertEquals("0.999999", Netrecord.timestamp(999_999));
        assertEquals("1.000000", Netrecord.timestamp(1_000_000));
        assertEquals("4.000010", Netrecord.timestamp(4_000_010));
        assertEquals("9223372036854.775807", Netrecord.timestamp(Long.MAX_VALUE));
    }

    /** Rule 2.4: data too large for one array is split into records of the same time. */
    @Test
    void splitsDataLargerThanTheLimit() throws IOException {
        WriteLog out = new WriteLog();
        NetrecordWriter writer = new NetrecordWriter(out, 4);
        writer.write(RecordedEvent.data(Direction.FROM_SERVER, 7, ascii("0123456789")));
        assertEquals(3, out.writes.size());
        assertEquals("s 0.000007 4\n0123s 0.000007 4\n4567s 0.000007 2\n89",
                new String(out.all(), StandardCharsets.ISO_8859_1));
    }

    /** Rule 1.2: data goes to the file in the buffers it came in, with its header, in one gathering write. */
    @Test
    void dataBuffersGoToTheFileAsTheyAreWithTheirHeader() throws IOException {
        WriteLog out = new WriteLog();
        RecordingWriter writer = RecordingFormat.NETRECORD.open(out, session());
        ByteBuffer first = direct("hello, ");
        ByteBuffer second = direct("world");
        writer.writeData(Direction.FROM_SERVER, 2_000_001, false, first, second);
        assertEquals(1, out.writes.size());
        List<ByteBuffer> given = out.buffers.get(0);
        assertEquals(3, given.size(), "header, then the two buffers");
        assertTrue(given.get(0).isDirect(), "the header too is handed over without a copy");
        assertSame(first, given.get(1));
        assertSame(second, given.get(2));
        assertEquals("s 2.000001 12\nhello, world", new String(out.all(), StandardCharsets.ISO_8859_1));
    }

    /** Rules 1.1, 2.3: no bytes, no record; netrecord has no text, so text is written as data. */
    @Test
    void writesTextAsDataAndNothingForNoBytes() throws IOException {
        WriteLog out = new WriteLog();
        RecordingWriter writer = RecordingFormat.NETRECORD.open(out, session());
        writer.writeData(Direction.FROM_CLIENT, 1, false, ByteBuffer.allocateDirect(0));
        writer.writeData(Direction.FROM_CLIENT, 1, true);
        assertEquals(0, out.writes.size());
        writer.writeData(Direction.FROM_CLIENT, 3, true, direct("{}"));
        writer.write(RecordedEvent.text(Direction.FROM_SERVER, 4, ascii("ok")));
        assertEquals("c 0.000003 2\n{}s 0.000004 2\nok", new String(out.all(), StandardCharsets.ISO_8859_1));
        writer.close();
        assertThrows(IOException.class, () -> writer.writeData(Direction.FROM_CLIENT, 5, false, direct("late")));
    }

    /** Rule 1.2: a short write is carried on until the whole record is in, then the next record starts. */
    @Test
    void shortWritesAreCarriedOnToTheEndOfTheRecord() throws IOException {
        WriteLog out = new WriteLog(3);
        RecordingWriter writer = RecordingFormat.NETRECORD.open(out, session());
        writer.write(RecordedEvent.opened(0));
        writer.writeData(Direction.FROM_CLIENT, 7, false, direct("abc"), direct(""), direct("defgh"));
        writer.write(RecordedEvent.ended(Direction.FROM_CLIENT, 8));
        assertEquals("c 0.000000 con\nc 0.000007 8\nabcdefghc 0.000008 hup\n",
                new String(out.all(), StandardCharsets.ISO_8859_1));
    }

    /** Rule 2.4: data split across several buffers is cut into records at the limit, still without a copy. */
    @Test
    void splitsDataAcrossBuffersIntoViews() throws IOException {
        WriteLog out = new WriteLog();
        NetrecordWriter writer = new NetrecordWriter(out, 4);
        ByteBuffer first = direct("012345");
        writer.writeData(Direction.FROM_CLIENT, 9, false, first, direct("6789"));
        assertEquals("c 0.000009 4\n0123c 0.000009 4\n4567c 0.000009 2\n89",
                new String(out.all(), StandardCharsets.ISO_8859_1));
        assertEquals(3, out.writes.size());
        assertTrue(out.buffers.get(1).stream().allMatch(ByteBuffer::isDirect), "views on the direct buffers");
    }

    /** Rule 1.2: on a stream, each record is put together and written in one call. */
    @Test
    void streamGetsOneWritePerRecord() throws IOException {
        StreamLog out = new StreamLog();
        RecordingWriter writer = RecordingFormat.NETRECORD.open(out, session());
        writer.write(RecordedEvent.opened(0));
        writer.writeData(Direction.FROM_SERVER, 1, false, direct("ab"), direct("c"));
        writer.close();
        assertEquals(List.of("c 0.000000 con\n", "s 0.000001 3\nabc"),
                out.writes.stream().map(b -> new String(b, StandardCharsets.ISO_8859_1)).toList());
        assertTrue(out.closed);
    }

    /** Rules 2.1-2.3, 4.2: what we write reads back as the same events, for many random streams. */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 42, 1234})
    void writtenEventsReadBackExactly(long seed) throws IOException {
        List<RecordedEvent> events = randomEvents(seed, 300, seed == 42 ? 200_000 : 5000);
        Path file = write(dir.resolve("r" + seed), RecordingFormat.NETRECORD, session(), events);
        try (RecordingReader reader = RecordingReader.open(file, START)) {
            assertEquals(RecordingFormat.NETRECORD, reader.format());
            assertEquals(new SessionInfo(START, "r" + seed, null, null, null, null, Map.of()), reader.session());
            assertEquals(events, readAll(reader));
            assertFalse(reader.truncated());
            assertNull(reader.truncation());
            assertNull(reader.next(), "stays at the end");
        }
    }

    /** Rule 2.5: without a given start, the start is the file's last-modified time less the last record's time. */
    @Test
    void startIsLastModifiedLessLastRecordTime() throws IOException {
        List<RecordedEvent> events = List.of(RecordedEvent.opened(5),
                RecordedEvent.data(Direction.FROM_CLIENT, 1_500_000, ascii("hi")),
                RecordedEvent.ended(Direction.FROM_CLIENT, 2_250_000));
        Path file = write(dir.resolve("mtime"), RecordingFormat.NETRECORD, session(), events);
        Files.setLastModifiedTime(file, FileTime.from(START));
        try (RecordingReader reader = RecordingReader.open(file)) {
            assertEquals(START.minusMillis(2250), reader.session().start());
            assertEquals(events, readAll(reader));
        }
        // A partial last record does not count: the start comes from the last complete one.
        Path partial = Files.write(dir.resolve("partial"), ascii("c 0.000005 con\nc 1.500000 10\nabc"));
        Files.setLastModifiedTime(partial, FileTime.from(START));
        try (RecordingReader reader = RecordingReader.open(partial)) {
            assertEquals(START.minusNanos(5000), reader.session().start());
        }
    }

    /** Rule 4.3: a file cut anywhere reads up to its last complete record, truncated unless cut between records. */
    @Test
    void cutAnywhereReadsCompleteRecordsThenReportsTruncation() throws IOException {
        List<RecordedEvent> events = List.of(RecordedEvent.opened(0),
                RecordedEvent.data(Direction.FROM_CLIENT, 10, ascii("GET /\n\n")),
                RecordedEvent.data(Direction.FROM_SERVER, 1_000_020, new byte[] {0, 1, 2, '\n'}),
                RecordedEvent.ended(Direction.FROM_SERVER, 2_000_000));
        Path file = write(dir.resolve("whole"), RecordingFormat.NETRECORD, session(), events);
        byte[] bytes = Files.readAllBytes(file);
        // Where each record ends: "c 0.000000 con\n", "c 0.000010 7\n" + 7, "s 1.000020 4\n" + 4, "s 2.000000 hup\n".
        int[] ends = {15, 15 + 13 + 7, 15 + 20 + 13 + 4, 15 + 20 + 17 + 15};
        assertEquals(ends[3], bytes.length);
        // Cuts below 13 bytes leave too little to tell a netrecord file (rule 4.1); start at 13.
        for (int length = 13; length <= bytes.length; length++) {
            Path cut = cut(file, length, dir.resolve("cut" + length));
            int complete = 0;
            while (complete < ends.length && ends[complete] <= length) {
                complete++;
            }
            try (RecordingReader reader = RecordingReader.open(cut, START)) {
                assertEquals(events.subList(0, complete), readAll(reader), "cut at " + length);
                boolean boundary = length == (complete == 0 ? 0 : ends[complete - 1]);
                assertEquals(!boundary, reader.truncated(), "cut at " + length);
            }
        }
    }

    /** Rule 4.3: the description names where the incomplete record starts and what it lacks. */
    @Test
    void describesTruncation() throws IOException {
        Path midData = Files.write(dir.resolve("mid-data"), ascii("c 0.000000 con\ns 1.000000 4096\nabc"));
        try (RecordingReader reader = RecordingReader.open(midData, START)) {
            assertEquals(RecordedEvent.opened(0), reader.next());
            assertFalse(reader.truncated(), "not known before the end");
            assertNull(reader.next());
            assertTrue(reader.truncated());
            assertEquals("truncated at byte 15: data record of 4096 bytes has 3", reader.truncation());
        }
        Path midHeader = Files.write(dir.resolve("mid-header"), ascii("c 0.000000 con\ns 1.00"));
        try (RecordingReader reader = RecordingReader.open(midHeader, START)) {
            assertEquals(List.of(RecordedEvent.opened(0)), readAll(reader));
            assertEquals("truncated at byte 15: record header has 6 bytes and no newline", reader.truncation());
        }
    }

    /** Rule 4.5: bytes that cannot be a record are an exception naming their offset and what was expected. */
    @ParameterizedTest
    @ValueSource(strings = {
        "x 1.000000 hup\n", // unknown side
        "c 1.00000 hup\n", // five-digit fraction
        "c 1.1000001 hup\n", // seven digits other than netrecord's 1000000
        "c 1.000000 bye\n", // unknown word
        "s 1.000000 con\n", // only the client connects (rule 2.3)
        "c 1.000000 0\n", // empty data record (rule 2.4)
        "c 1.000000 99999999999\n", // larger than an array (rule 2.4)
        "c 99999999999999999.000000 hup\n", // seconds overflow micros (rule 2.2)
        "c  1.000000 hup\n",
        "c 1.000000 hup \n",
        "hello\n",
        "xyz", // garbage cut by the end of the file is still garbage
    })
    void garbageIsAnExceptionWithOffset(String record) throws IOException {
        Path file = Files.write(dir.resolve("garbage"), ascii("c 0.000000 con\n" + record));
        try (RecordingReader reader = RecordingReader.open(file, START)) {
            assertEquals(RecordedEvent.opened(0), reader.next());
            RecordingFormatException e = assertThrows(RecordingFormatException.class, reader::next);
            assertEquals(15, e.offset());
            assertTrue(e.getMessage().contains(" at byte 15 (expected: "), e.getMessage());
        }
    }

    /** Rule 4.5: a header line longer than any valid one is garbage, not a reason to read on. */
    @Test
    void overlongHeaderIsGarbage() throws IOException {
        Path file = Files.write(dir.resolve("long"), ascii("c 0.000000 con\nc 0.000001 " + "1".repeat(100)));
        try (RecordingReader reader = RecordingReader.open(file, START)) {
            reader.next();
            RecordingFormatException e = assertThrows(RecordingFormatException.class, reader::next);
            assertEquals(15, e.offset());
            assertEquals("2.1", e.rule());
        }
    }

    /** Rule 2.6: netrecord's borrow bug wrote a whole second as .1000000; it reads as the next second. */
    @Test
    void readsNetrecordsBorrowBugAsNextSecond() throws IOException {
        Path file = Files.write(dir.resolve("borrow"), ascii("c 4.1000000 con\nc 4.1000000 hup\n"));
        try (RecordingReader reader = RecordingReader.open(file, START)) {
            assertEquals(List.of(RecordedEvent.opened(5_000_000),
                    RecordedEvent.ended(Direction.FROM_CLIENT, 5_000_000)), readAll(reader));
        }
    }

    private static ByteBuffer direct(String s) {
        byte[] bytes = ascii(s);
        return ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
