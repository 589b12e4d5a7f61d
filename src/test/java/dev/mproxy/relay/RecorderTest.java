package dev.mproxy.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mproxy.record.RecordingFormat;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** File names and the directory of stream recordings (recording.md 6.8). */
@Timeout(10)
class RecorderTest {

    @TempDir
    Path temp;

    @Test
    void namePartsKeepOnlySafeCharacters() {
        assertEquals("pi.example.com", Recorder.fileNamePart("pi.example.com"));
        assertEquals("2001_db8__1-443", Recorder.fileNamePart("2001:db8::1-443"));
        assertEquals("_._.._etc_passwd", Recorder.fileNamePart("../../etc/passwd"));
        assertEquals("_hidden", Recorder.fileNamePart(".hidden"));
        assertEquals("caf_", Recorder.fileNamePart("café"));
        assertEquals("_", Recorder.fileNamePart(""));
        assertEquals(64, Recorder.fileNamePart("x".repeat(300)).length());
    }

    @Test
    void theDirectoryIsCreatedOwnerOnlyAndAnOpenOneIsRefused() throws Exception {
        Path dir = temp.resolve("a/b");
        Recorder.inDirectory(dir, RecordingFormat.MCREC).close();
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));

        Path open = Files.createDirectory(temp.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-xr-x"));
        FileSystemException refused = assertThrows(FileSystemException.class,
                () -> Recorder.inDirectory(open, RecordingFormat.NETRECORD));
        assertEquals(true, refused.getMessage().contains("chmod 700"), refused.getMessage());
    }
}
