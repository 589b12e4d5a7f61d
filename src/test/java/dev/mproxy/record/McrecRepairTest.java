package dev.mproxy.record;

import static dev.mproxy.record.RecordingFiles.cut;
import static dev.mproxy.record.RecordingFiles.randomEvents;
import static dev.mproxy.record.RecordingFiles.readAll;
import static dev.mproxy.record.RecordingFiles.session;
import static dev.mproxy.record.RecordingFiles.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Completing an {@code .mcrec} cut short: protocol-spec/recording.md §5. */
@Timeout(60)
class McrecRepairTest {

    @TempDir
    Path dir;

    /** Rules 5.1, 5.2: cut exactly before the end block, repair restores the file byte for byte. */
    @Test
    void repairOfFileWithoutEndBlockRestoresIt() throws IOException {
        Path file = write(dir.resolve("whole.mcrec"), RecordingFormat.MCREC, session(), randomEvents(7, 50, 3000));
        byte[] whole = Files.readAllBytes(file);
        Path cut = cut(file, whole.length - 32, dir.resolve("cut.mcrec"));

        assertEquals(0, McrecRepair.repair(cut));
        assertArrayEquals(whole, Files.readAllBytes(cut), "end block timed at the last block, as close() writes it");
    }

    /** Rules 5.1, 5.2: a partial trailing block is cut off; the rest reads back whole and complete. */
    @Test
    void repairDropsPartialBlockAndCompletesTheFile() throws IOException {
        List<RecordedEvent> events = randomEvents(11, 40, 3000);
        Path file = write(dir.resolve("whole.mcrec"), RecordingFormat.MCREC, session(), events);
        byte[] whole = Files.readAllBytes(file);
        long length = whole.length - 32 - 1000; // inside some data block, or its header
        Path cut = cut(file, length, dir.resolve("cut.mcrec"));
        List<RecordedEvent> before;
        try (RecordingReader reader = RecordingReader.open(cut)) {
            before = readAll(reader);
            assertTrue(reader.truncated());
        }

        long dropped = McrecRepair.repair(cut);
        assertTrue(dropped > 0 && dropped < 16 + 3000, "dropped " + dropped);

        byte[] repaired = Files.readAllBytes(cut);
        assertEquals(length - dropped + 32, repaired.length);
        int kept = (int) (length - dropped);
        assertArrayEquals(Arrays.copyOf(whole, kept), Arrays.copyOf(repaired, kept), "nothing before the cut changes");
        ByteBuffer tail = ByteBuffer.wrap(repaired, repaired.length - 32, 32);
        assertEquals(3, tail.getShort());
        assertEquals(0, tail.getShort());
        assertEquals(16, tail.getInt());
        tail.getLong();
        assertEquals("MeshCentralMCREC", StandardCharsets.US_ASCII.decode(tail).toString());
        try (RecordingReader reader = RecordingReader.open(cut)) {
            assertEquals(before, readAll(reader));
            assertFalse(reader.truncated(), reader.truncation());
        }
        assertEquals(before, McrecTest.millisecondTimes(events.subList(0, before.size())));
    }

    /** Rule 5.3: a complete file is refused and left alone, so repairing twice is refused the second time. */
    @Test
    void refusesCompleteFile() throws IOException {
        Path file = write(dir.resolve("whole.mcrec"), RecordingFormat.MCREC, session(), randomEvents(3, 5, 100));
        Path cut = cut(file, Files.size(file) - 40, dir.resolve("cut.mcrec"));
        McrecRepair.repair(cut);
        byte[] once = Files.readAllBytes(cut);

        IOException e = assertThrows(IOException.class, () -> McrecRepair.repair(cut));
        assertTrue(e.getMessage().contains("already complete"), e.getMessage());
        assertArrayEquals(once, Files.readAllBytes(cut));
        assertThrows(IOException.class, () -> McrecRepair.repair(file));
    }

    /** Rule 5.3: not an .mcrec, or cut inside its metadata: refused with the reason, file untouched. */
    @Test
    void refusesOtherFiles() throws IOException {
        Path netrecord = write(dir.resolve("n"), RecordingFormat.NETRECORD, session(), randomEvents(1, 3, 10));
        byte[] bytes = Files.readAllBytes(netrecord);
        IOException e = assertThrows(IOException.class, () -> McrecRepair.repair(netrecord));
        assertTrue(e.getMessage().contains("not an .mcrec"), e.getMessage());
        assertArrayEquals(bytes, Files.readAllBytes(netrecord));

        Path mcrec = write(dir.resolve("m.mcrec"), RecordingFormat.MCREC, session(), List.of());
        Path inMetadata = cut(mcrec, 80, dir.resolve("meta.mcrec"));
        e = assertThrows(IOException.class, () -> McrecRepair.repair(inMetadata));
        assertTrue(e.getMessage().contains("cannot repair") && e.getMessage().contains("metadata block"),
                e.getMessage());
        assertEquals(80, Files.size(inMetadata));
    }

    /** Rule 5.3: garbage before the cut is reported, not cut away. */
    @Test
    void refusesGarbage() throws IOException {
        Path file = write(dir.resolve("whole.mcrec"), RecordingFormat.MCREC, session(), randomEvents(5, 5, 100));
        byte[] bytes = Files.readAllBytes(file);
        int metadataEnd = 16 + ByteBuffer.wrap(bytes).getInt(4);
        bytes[metadataEnd + 1] = 9; // the first event block's type becomes 9
        Path broken = Files.write(dir.resolve("broken.mcrec"), Arrays.copyOf(bytes, bytes.length - 32));
        RecordingFormatException e = assertThrows(RecordingFormatException.class, () -> McrecRepair.repair(broken));
        assertEquals(metadataEnd, e.offset());
        assertEquals(bytes.length - 32, Files.size(broken));
    }
}
