package dev.mproxy.files;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Owner-only directories and files: created 0700/0600, never loosened, never replaced by accident. */
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
        assertEquals("rwx------", permissions(tmp.resolve("a/b")), "missing parents are created 0700 too");
        assertEquals("rwx------", permissions(tmp.resolve("a")));
        SecureFiles.createPrivateDirectory(dir); // an existing private directory is fine
        assertEquals("rwx------", permissions(dir));
    }

    @Test
    void refusesExistingDirectoryOthersCanEnterAndLeavesItAlone() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("open"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-x---")));
        FileSystemException e = assertThrows(FileSystemException.class, () -> SecureFiles.createPrivateDirectory(dir));
        assertEquals(dir + ": permissions rwxr-x--- (0750) let other users in (expected: rwx------; fix with: "
                + "chmod 700 " + dir + ')', e.getMessage());
        assertEquals(dir.toString(), e.getFile());
        assertEquals("rwxr-x---", permissions(dir), "nothing is tightened silently");
    }

    @Test
    void refusesFileInPlaceOfDirectory() throws IOException {
        Path file = Files.writeString(tmp.resolve("file"), "x");
        FileSystemException e = assertThrows(FileSystemException.class,
                () -> SecureFiles.createPrivateDirectory(file));
        assertEquals(file + ": not a directory (expected: a directory only its owner can use)", e.getMessage());
        assertEquals(file.toString(), e.getFile());
    }

    @Test
    void refusesDirectoryBelowAFile() throws IOException {
        Path file = Files.writeString(tmp.resolve("f"), "x");
        Path dir = file.resolve("data");
        FileSystemException e = assertThrows(FileSystemException.class, () -> SecureFiles.createPrivateDirectory(dir));
        assertEquals(file + ": not a directory (expected: a directory to create " + dir + " in)", e.getMessage());
        assertEquals(file.toString(), e.getFile());
    }

    @Test
    void requireOwnerOnlyNamesTheChmodForFiles() throws IOException {
        Path file = Files.writeString(tmp.resolve("key.pem"), "x");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        FileSystemException e = assertThrows(FileSystemException.class, () -> SecureFiles.requireOwnerOnly(file));
        assertEquals(file + ": permissions rw-r--r-- (0644) let other users in (expected: rw-------; fix with: "
                + "chmod 600 " + file + ')', e.getMessage());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        SecureFiles.requireOwnerOnly(file);
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
    void createdFileIsOwnerOnlyAndComplete() throws IOException {
        Path file = tmp.resolve("s");
        assertTrue(SecureFiles.createPrivateFile(file, "abc\n".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("rw-------", permissions(file));
        assertEquals("abc\n", Files.readString(file));
        assertEquals(List.of(file), list(tmp), "no temporary file is left behind");
    }

    @Test
    void createPrivateFileNeverReplacesAnExistingFile() throws IOException {
        Path file = Files.writeString(tmp.resolve("s"), "first");
        assertFalse(SecureFiles.createPrivateFile(file, "second".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("first", Files.readString(file));
        assertEquals(List.of(file), list(tmp), "the temporary file is removed");
    }

    @Test
    void concurrentCreatorsAgreeOnOneFile() throws Exception {
        Path file = tmp.resolve("gateway.secret");
        int creators = 8;
        ExecutorService pool = Executors.newFixedThreadPool(creators);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < creators; i++) {
                byte[] content = ("creator " + i).getBytes(StandardCharsets.US_ASCII);
                Callable<Boolean> create = () -> {
                    start.await();
                    return SecureFiles.createPrivateFile(file, content);
                };
                results.add(pool.submit(create));
            }
            start.countDown();
            int won = 0;
            for (Future<Boolean> result : results) {
                won += result.get() ? 1 : 0;
            }
            assertEquals(1, won, "exactly one creator wins");
        } finally {
            pool.shutdownNow();
        }
        assertTrue(Files.readString(file).startsWith("creator "));
        assertEquals("rw-------", permissions(file));
        assertEquals(List.of(file), list(tmp), "every temporary file is removed");
    }

    @Test
    void privateChannelIsANewOwnerOnlyFileAndNeverReplacesOne() throws IOException {
        Path file = tmp.resolve("recording");
        try (FileChannel channel = SecureFiles.createPrivateChannel(file)) {
            channel.write(new ByteBuffer[] {ByteBuffer.wrap(ascii("c 0.000000 ")), ByteBuffer.wrap(ascii("con\n"))});
        }
        assertEquals("rw-------", permissions(file));
        assertEquals("c 0.000000 con\n", Files.readString(file, StandardCharsets.US_ASCII));
        assertThrows(FileAlreadyExistsException.class, () -> SecureFiles.createPrivateChannel(file));
        assertThrows(FileAlreadyExistsException.class, () -> SecureFiles.createPrivateOutput(file));
        assertEquals("c 0.000000 con\n", Files.readString(file, StandardCharsets.US_ASCII), "left as it was");
    }

    @Test
    void fallsBackOnFileSystemsWithoutPosixPermissions() throws IOException {
        URI zip = URI.create("jar:" + tmp.resolve("data.zip").toUri());
        try (FileSystem fs = FileSystems.newFileSystem(zip, Map.of("create", "true"))) {
            Path dir = fs.getPath("/mproxy-data/sub");
            assertFalse(SecureFiles.isPosix(dir));
            SecureFiles.createPrivateDirectory(dir);
            SecureFiles.writePrivateFile(dir.resolve("gateway.key"), new byte[] {1, 2, 3});
            assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(dir.resolve("gateway.key")));
            assertTrue(SecureFiles.createPrivateFile(dir.resolve("gateway.secret"), new byte[] {4}));
            assertFalse(SecureFiles.createPrivateFile(dir.resolve("gateway.secret"), new byte[] {5}));
            assertArrayEquals(new byte[] {4}, Files.readAllBytes(dir.resolve("gateway.secret")));
            SecureFiles.requireOwnerOnly(dir); // nothing to check
        }
    }

    @Test
    void reasonsAreShortForMessagesThatNameThePath() {
        assertEquals("permission denied", SecureFiles.reason(new AccessDeniedException("/x")));
        assertEquals("no such file or directory", SecureFiles.reason(new NoSuchFileException("/x")));
        assertEquals("disk full", SecureFiles.reason(new IOException("disk full")));
        assertEquals("IOException", SecureFiles.reason(new IOException()));
    }

    @Test
    void modesAreShownInOctal() {
        assertEquals("0755", SecureFiles.octal(PosixFilePermissions.fromString("rwxr-xr-x")));
        assertEquals("0600", SecureFiles.octal(PosixFilePermissions.fromString("rw-------")));
        assertEquals("0001", SecureFiles.octal(PosixFilePermissions.fromString("--------x")));
    }

    private static String permissions(Path path) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.toList();
        }
    }
}
