package dev.mproxy.record;

import static dev.mproxy.record.RecordingFiles.session;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Format names, extensions and detection: protocol-spec/recording.md §1 and rule 4.1. */
@Timeout(30)
class RecordingFormatTest {

    @TempDir
    Path dir;

    @Test
    void namesAndExtensions() {
        assertEquals(RecordingFormat.NETRECORD, RecordingFormat.ofWord("netrecord"));
        assertEquals(RecordingFormat.MCREC, RecordingFormat.ofWord("mcrec"));
        assertEquals(".netrecord", RecordingFormat.NETRECORD.fileExtension());
        assertEquals(".mcrec", RecordingFormat.MCREC.fileExtension());
        assertEquals("mcrec", RecordingFormat.MCREC.word());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RecordingFormat.ofWord("MCREC"));
        assertEquals("unknown recording format: 'MCREC' (expected: netrecord or mcrec)", e.getMessage());
    }

    /** Rule 4.1: what each format's first bytes look like, and what is neither. */
    @Test
    void detectsFromFirstBytes() throws IOException {
        ByteArrayOutputStream mcrec = new ByteArrayOutputStream();
        RecordingFormat.MCREC.open(mcrec, session()).close();
        assertEquals(RecordingFormat.MCREC, RecordingFormat.detect(mcrec.toByteArray()));
        assertEquals(RecordingFormat.MCREC, RecordingFormat.detect(Arrays.copyOf(mcrec.toByteArray(), 60)));
        assertNull(RecordingFormat.detect(Arrays.copyOf(mcrec.toByteArray(), 30)), "magic not yet in sight");

        assertEquals(RecordingFormat.NETRECORD, RecordingFormat.detect(ascii("c 0.000000 con\n")));
        assertEquals(RecordingFormat.NETRECORD, RecordingFormat.detect(ascii("s 12.345678 5\nhello")));
        assertEquals(RecordingFormat.NETRECORD, RecordingFormat.detect(ascii("c 4.1000000 con\n")));
        assertNull(RecordingFormat.detect(ascii("c 0.000000")));
        assertNull(RecordingFormat.detect(ascii("x 0.000000 con\n")));
        assertNull(RecordingFormat.detect(ascii("c 0.00000 con\n")));
        assertNull(RecordingFormat.detect(new byte[0]));
        assertNull(RecordingFormat.detect(ascii("GET / HTTP/1.1\r\n\r\n")));
    }

    @Test
    void detectFromPathExplainsNeither() throws IOException {
        Path empty = Files.write(dir.resolve("empty"), new byte[0]);
        RecordingFormatException e = assertThrows(RecordingFormatException.class, () -> RecordingFormat.detect(empty));
        assertEquals("an empty file at byte 0 (expected: an .mcrec metadata block or a netrecord header such as"
                + " 'c 0.000000 con') [recording rule 4.1]", e.getMessage());
        Path text = Files.write(dir.resolve("text"), ascii("hello\n"));
        assertThrows(RecordingFormatException.class, () -> RecordingReader.open(text));
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
