package dev.mproxy.record;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * Fuzzes the recording readers (recording §4) with arbitrary files: {@link RecordingReader#open} detects the
 * format (netrecord or {@code .mcrec}) and reads every event, and {@link McrecRepair} cuts an {@code .mcrec} to
 * its complete blocks. For every file:
 * <ul>
 *   <li>the only failures are {@link RecordingFormatException} for garbage (rule 4.5) and, on opening, an
 *       {@link EOFException} for a file without a whole {@code .mcrec} metadata block;</li>
 *   <li>reading ends: no more events than the file has bytes, and no more data than the file holds (bounded
 *       output, rule 4.3/4.4); a file cut short says where ({@link RecordingReader#truncation});</li>
 *   <li>a repair cuts only a partial block at the end and appends the end block, and the result reads without a
 *       format error.</li>
 * </ul>
 */
class RecordingReaderFuzzTest {

    private static final Path FILE;
    private static final Instant START = Instant.parse("2026-12-01T00:00:00Z");

    static {
        try {
            FILE = Files.createTempFile("recording-fuzz", ".rec");
            FILE.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "2m")
    void read(byte[] file) throws IOException {
        Files.write(FILE, file);
        boolean garbage = readAll(file.length);
        if (RecordingFormat.detect(file) == RecordingFormat.MCREC) {
            long cut;
            try {
                cut = McrecRepair.repair(FILE);
            } catch (IOException e) { // garbage, complete already, or no whole metadata block: said so
                return;
            }
            assertTrue(cut >= 0 && cut <= file.length, "repair cut " + cut + " of " + file.length + " bytes");
            // the end block follows the last complete block (recording §5)
            assertEquals(file.length - cut + Mcrec.HEADER_SIZE + Mcrec.END_MAGIC.length(), Files.size(FILE),
                    "the repaired file's length");
            if (!garbage) {
                assertTrue(!readAll(Files.size(FILE)), "a repaired file holds garbage");
            }
        }
    }

    /** Reads every event; true when the file held garbage (a format error). */
    private static boolean readAll(long length) throws IOException {
        RecordingReader reader;
        try {
            reader = RecordingReader.open(FILE, START);
        } catch (RecordingFormatException | EOFException e) { // garbage, or not even a whole metadata block
            return true;
        }
        try (reader) {
            long events = 0;
            long bytes = 0;
            RecordedEvent event;
            while ((event = reader.next()) != null) {
                events++;
                byte[] data = event.bytes();
                bytes += data == null ? 0 : data.length;
                assertTrue(events <= length, "more events than bytes in the file");
                assertTrue(bytes <= length, "more data than the file holds");
            }
            assertEquals(reader.truncated(), reader.truncation() != null, "truncated() and truncation()");
            return false;
        } catch (RecordingFormatException e) {
            assertTrue(e.getMessage() != null && e.getMessage().length() < 1000, "reason");
            return true;
        }
    }
}
