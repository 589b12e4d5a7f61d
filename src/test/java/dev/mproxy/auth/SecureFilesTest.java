package dev.mproxy.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The 0700/0600 helper on its own: no replacing a file another process created, clear failures. */
class SecureFilesTest {

    @TempDir
    Path tmp;

    @Test
    void newFileIsOwnerOnlyAndComplete() throws IOException {
        Path file = tmp.resolve("s");
        assertTrue(SecureFiles.createPrivateFile(file, "abc\n".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("abc\n", Files.readString(file));
    }

    @Test
    void existingFileIsNeverReplaced() throws IOException {
        Path file = Files.writeString(tmp.resolve("s"), "first");
        assertFalse(SecureFiles.createPrivateFile(file, "second".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("first", Files.readString(file));
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(List.of(file), files.toList(), "the temporary file is removed");
        }
    }

    @Test
    void dataDirBelowAFileCannotBeCreated() throws IOException {
        Path file = Files.writeString(tmp.resolve("f"), "x");
        Path dir = file.resolve("data");
        String message = assertThrows(IOException.class, () -> SecureFiles.ensurePrivateDirectory(dir)).getMessage();
        assertTrue(message.startsWith("cannot create data dir " + dir + ": ")
                || message.equals("data dir " + dir + " is not a directory"), message);
    }

    @Test
    void modesAreShownInOctal() {
        assertEquals("0755", SecureFiles.octal(PosixFilePermissions.fromString("rwxr-xr-x")));
        assertEquals("0600", SecureFiles.octal(PosixFilePermissions.fromString("rw-------")));
        assertEquals("0001", SecureFiles.octal(PosixFilePermissions.fromString("--------x")));
    }
}
