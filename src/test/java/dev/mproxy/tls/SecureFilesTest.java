package dev.mproxy.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class SecureFilesTest {

    @TempDir
    Path tmp;

    @BeforeEach
    void requirePosix() {
        assumeTrue(SecureFiles.isPosix(tmp), "POSIX permissions are not supported here");
    }

    @Test
    void createsDirectoryAndParentsWithOwnerOnlyAccess() throws IOException {
        Path dir = tmp.resolve("a/b/mproxy-data");
        SecureFiles.createPrivateDirectory(dir);
        assertEquals("rwx------", permissions(dir));
        SecureFiles.createPrivateDirectory(dir); // an existing private directory is fine
        assertEquals("rwx------", permissions(dir));
    }

    @Test
    void refusesExistingDirectoryOthersCanEnterAndLeavesItAlone() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("open"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-x---")));
        TlsFileException e = assertThrows(TlsFileException.class, () -> SecureFiles.createPrivateDirectory(dir));
        assertEquals(dir + ": permissions rwxr-x--- let other users in (expected: rwx------; fix with: chmod 700 "
                + dir + ')', e.getMessage());
        assertEquals(dir, e.file());
        assertEquals("rwxr-x---", permissions(dir), "nothing is tightened silently");
    }

    @Test
    void refusesFileInPlaceOfDirectory() throws IOException {
        Path file = Files.writeString(tmp.resolve("file"), "x");
        TlsFileException e = assertThrows(TlsFileException.class, () -> SecureFiles.createPrivateDirectory(file));
        assertEquals(file + ": not a directory (expected: a directory for certificates and keys)", e.getMessage());
    }

    @Test
    void requireOwnerOnlyNamesTheChmodForFiles() throws IOException {
        Path file = Files.writeString(tmp.resolve("key.pem"), "x");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        TlsFileException e = assertThrows(TlsFileException.class, () -> SecureFiles.requireOwnerOnly(file));
        assertTrue(e.getMessage().endsWith("(expected: rw-------; fix with: chmod 600 " + file + ')'),
                e.getMessage());
    }

    @Test
    void writesFileReadableByOwnerOnly() throws IOException {
        Path file = tmp.resolve("gateway.key");
        SecureFiles.writePrivateFile(file, "secret".getBytes(StandardCharsets.US_ASCII));
        assertEquals("rw-------", permissions(file));
        assertEquals("secret", Files.readString(file));
        assertEquals(List.of(file), list(tmp), "no temporary file is left behind");
    }

    @Test
    void replacesAnExistingFileWithANewPrivateOne() throws IOException {
        Path file = Files.writeString(tmp.resolve("gateway.crt"), "old");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        SecureFiles.writePrivateFile(file, "new".getBytes(StandardCharsets.US_ASCII));
        assertEquals("new", Files.readString(file));
        assertEquals("rw-------", permissions(file), "the old file's permissions are not inherited");
        assertEquals(List.of(file), list(tmp));
    }

    @Test
    void fallsBackOnFileSystemsWithoutPosixPermissions() throws IOException {
        URI zip = URI.create("jar:" + tmp.resolve("data.zip").toUri());
        try (FileSystem fs = FileSystems.newFileSystem(zip, Map.of("create", "true"))) {
            Path dir = fs.getPath("/mproxy-data");
            assertTrue(!SecureFiles.isPosix(dir));
            SecureFiles.createPrivateDirectory(dir);
            SecureFiles.writePrivateFile(dir.resolve("gateway.key"), new byte[] {1, 2, 3});
            assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(dir.resolve("gateway.key")));
            SecureFiles.requireOwnerOnly(dir); // nothing to check
        }
    }

    private static String permissions(Path path) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.toList();
        }
    }
}
