package dev.mproxy.tls;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * Files only their owner may read: a directory with permissions {@code 0700} and files with {@code 0600},
 * created with those permissions rather than tightened afterwards, so a key is never readable by others,
 * not even for an instant. On file systems without POSIX permissions (Windows) files are created with the
 * file system's defaults, which for a user's own directories usually means private already.
 */
public final class SecureFiles {

    private static final Set<PosixFilePermission> OWNER_ONLY_DIRECTORY = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OTHERS = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private SecureFiles() {
    }

    /**
     * Creates {@code dir} (and missing parents, with default permissions) so that only its owner can use it,
     * or checks that an existing {@code dir} is a directory closed to other users. An existing directory is
     * never changed: if its permissions are too open, the caller learns how to fix them.
     *
     * @throws TlsFileException if {@code dir} exists but is not a directory, or lets group or others in
     */
    public static void createPrivateDirectory(Path dir) throws IOException {
        requireNonNull(dir, "dir");
        if (Files.exists(dir)) {
            if (!Files.isDirectory(dir)) {
                throw new TlsFileException(dir, "not a directory (expected: a directory for certificates and "
                        + "keys)");
            }
            requireOwnerOnly(dir);
            return;
        }
        Path parent = dir.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        if (!isPosix(dir)) {
            Files.createDirectory(dir);
            return;
        }
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIRECTORY));
        // mkdir(2) applies the umask, which can only have removed bits; give the owner back what it took.
        if (!Files.getPosixFilePermissions(dir).equals(OWNER_ONLY_DIRECTORY)) {
            Files.setPosixFilePermissions(dir, OWNER_ONLY_DIRECTORY);
        }
    }

    /**
     * Checks that neither group nor others have any permission on {@code path}; does nothing where the file
     * system has no POSIX permissions.
     *
     * @throws TlsFileException naming the {@code chmod} that fixes it, if they have
     */
    public static void requireOwnerOnly(Path path) throws IOException {
        requireNonNull(path, "path");
        if (!isPosix(path)) {
            return;
        }
        Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(path);
        if (permissions.stream().anyMatch(OTHERS::contains)) {
            boolean directory = Files.isDirectory(path);
            String expected = PosixFilePermissions.toString(directory ? OWNER_ONLY_DIRECTORY : OWNER_ONLY_FILE);
            throw new TlsFileException(path, "permissions " + PosixFilePermissions.toString(permissions)
                    + " let other users in (expected: " + expected + "; fix with: chmod " + (directory ? "700" : "600")
                    + ' ' + path + ')');
        }
    }

    /**
     * Replaces {@code file} atomically with {@code content}, readable and writable by its owner only: the
     * bytes go to a temporary file in the same directory, created with permissions {@code 0600}, flushed to
     * disk, then renamed over {@code file}. Readers see the old file or the whole new one, never a part.
     */
    public static void writePrivateFile(Path file, byte[] content) throws IOException {
        requireNonNull(file, "file");
        requireNonNull(content, "content");
        Path dir = file.toAbsolutePath().getParent();
        FileAttribute<?>[] attributes = isPosix(dir)
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE)}
                : new FileAttribute<?>[0];
        Path temp = Files.createTempFile(dir, "." + file.getFileName() + '.', ".tmp", attributes);
        boolean moved = false;
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            moved = true;
        } finally {
            if (!moved) {
                Files.deleteIfExists(temp);
            }
        }
    }

    /** Whether the file system holding {@code path} has POSIX permissions. */
    static boolean isPosix(Path path) {
        return path.getFileSystem().supportedFileAttributeViews().contains("posix");
    }
}
