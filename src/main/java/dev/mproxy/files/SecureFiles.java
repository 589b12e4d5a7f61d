package dev.mproxy.files;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumSet;
import java.util.Set;

/**
 * Files only their owner may use: directories with permissions {@code 0700} and files with {@code 0600},
 * created with those permissions rather than tightened afterwards, so a secret is never readable by others,
 * not even for an instant. Nothing that already exists is ever loosened or tightened: if its permissions let
 * other users in, the caller gets a {@link FileSystemException} whose message names the {@code chmod} that
 * fixes it.
 *
 * <p>On file systems without POSIX permissions (Windows, a zip file) files and directories are created with
 * the file system's defaults, which for a user's own directories usually means private already, and the
 * permission checks are skipped.
 *
 * <p>Every refusal is a {@link FileSystemException} whose {@link FileSystemException#getFile() file} is the
 * path at fault and whose message reads {@code PATH: what was found (expected: ...)}.
 */
public final class SecureFiles {

    private static final Set<PosixFilePermission> OWNER_ONLY_DIRECTORY = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> GROUP_OR_OTHERS = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private SecureFiles() {
    }

    /**
     * Makes sure {@code dir} is a directory only its owner can use: creates it, and every missing parent,
     * with permissions {@code 0700}, or checks that an existing {@code dir} is a directory closed to group and
     * others. An existing directory is never changed. A directory created meanwhile by another process is
     * checked like any existing one.
     *
     * @throws FileSystemException if {@code dir} or a parent exists but is not a directory, a directory cannot
     *                             be created, or {@code dir} lets group or others in (the message names the
     *                             {@code chmod 700 DIR} that fixes it)
     */
    public static void createPrivateDirectory(Path dir) throws IOException {
        requireNonNull(dir, "dir");
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            createMissingDirectories(dir);
        }
        if (!Files.isDirectory(dir)) {
            throw refusal(dir, "not a directory (expected: a directory only its owner can use)", null);
        }
        requireOwnerOnly(dir);
    }

    /**
     * Checks that neither group nor others have any permission on {@code path}; does nothing where the file
     * system has no POSIX permissions.
     *
     * @throws FileSystemException naming the permissions found and the {@code chmod} that fixes them, if they
     *                             let other users in
     */
    public static void requireOwnerOnly(Path path) throws IOException {
        requireNonNull(path, "path");
        if (!isPosix(path)) {
            return;
        }
        Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(path);
        if (permissions.stream().anyMatch(GROUP_OR_OTHERS::contains)) {
            boolean directory = Files.isDirectory(path);
            String expected = PosixFilePermissions.toString(directory ? OWNER_ONLY_DIRECTORY : OWNER_ONLY_FILE);
            throw refusal(path, "permissions " + PosixFilePermissions.toString(permissions) + " (" + octal(permissions)
                    + ") let other users in (expected: " + expected + "; fix with: chmod " + (directory ? "700" : "600")
                    + ' ' + path + ')', null);
        }
    }

    /**
     * Replaces {@code file} atomically with {@code content}, readable and writable by its owner only: the
     * bytes go to a temporary file in the same directory, created with permissions {@code 0600}, flushed to
     * disk, then renamed over {@code file}. Readers see the old file or the whole new one, never a part, and
     * the old file's permissions are not inherited.
     */
    public static void writePrivateFile(Path file, byte[] content) throws IOException {
        requireNonNull(file, "file");
        requireNonNull(content, "content");
        Path temp = writeTemporaryFile(file, content);
        try {
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /**
     * Creates {@code file} with {@code content}, readable and writable by its owner only, unless it exists
     * already; no other process ever sees it partly written or with wider permissions. The bytes go to a
     * temporary file in the same directory, created with permissions {@code 0600} and flushed to disk, which
     * is then hard-linked to {@code file}. A hard link fails if {@code file} exists, so two processes creating
     * the same file at once cannot replace each other's. Where hard links are unsupported the temporary file
     * is atomically moved into place instead, if {@code file} does not exist yet.
     *
     * @return {@code true} if this call created {@code file}; {@code false} if it existed already or appeared
     *         meanwhile (another process won: its file is kept as it is)
     */
    public static boolean createPrivateFile(Path file, byte[] content) throws IOException {
        requireNonNull(file, "file");
        requireNonNull(content, "content");
        Path temp = writeTemporaryFile(file, content);
        try {
            try {
                Files.createLink(file, temp);
            } catch (FileAlreadyExistsException e) {
                return false;
            } catch (UnsupportedOperationException | IOException e) {
                if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                    return false;
                }
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
            }
            return true;
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /**
     * Opens a new {@code file} for writing, readable and writable by its owner only from its creation, and
     * returns an unbuffered stream on it: each {@code write} goes to the file before it returns.
     *
     * @throws java.nio.file.FileAlreadyExistsException if {@code file} exists: nothing is ever overwritten
     */
    public static OutputStream createPrivateOutput(Path file) throws IOException {
        return Channels.newOutputStream(createPrivateChannel(file));
    }

    /**
     * Opens a new {@code file} for writing, as {@link #createPrivateOutput} does, and returns the channel itself:
     * its gathering writes hand direct buffers to the file without a copy.
     *
     * @throws java.nio.file.FileAlreadyExistsException if {@code file} exists: nothing is ever overwritten
     */
    public static FileChannel createPrivateChannel(Path file) throws IOException {
        requireNonNull(file, "file");
        boolean posix = isPosix(file.toAbsolutePath().getParent());
        FileChannel channel = FileChannel.open(file, EnumSet.of(StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE), ownerOnlyFile(posix));
        try {
            restoreOwnerOnly(file, posix);
            return channel;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * What went wrong, in a few words, for a message that already names the path: {@code "permission denied"},
     * {@code "no such file or directory"}, {@code "file exists"}, or the exception's own message.
     */
    public static String reason(IOException e) {
        requireNonNull(e, "e");
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof FileAlreadyExistsException) {
            return "file exists";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** Whether the file system holding {@code path} has POSIX permissions, which this class then enforces. */
    public static boolean isPosix(Path path) {
        return requireNonNull(path, "path").getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    /** {@code 0755}-style rendering of a permission set. */
    static String octal(Set<PosixFilePermission> permissions) {
        int bits = 0;
        for (PosixFilePermission p : permissions) {
            // PosixFilePermission is declared from OWNER_READ (0400) down to OTHERS_EXECUTE (0001).
            bits |= 0400 >> p.ordinal();
        }
        return String.format("%04o", bits);
    }

    /**
     * Creates {@code dir} and its missing parents, top down, each with permissions {@code 0700}. One that
     * appears meanwhile is left to the caller's checks.
     */
    private static void createMissingDirectories(Path dir) throws IOException {
        Deque<Path> missing = new ArrayDeque<>();
        Path existing = dir.toAbsolutePath();
        while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            missing.push(existing);
            existing = existing.getParent();
        }
        if (existing != null && !Files.isDirectory(existing)) {
            throw refusal(existing, "not a directory (expected: a directory to create " + dir + " in)", null);
        }
        boolean posix = isPosix(dir);
        for (Path next : missing) {
            try {
                if (!posix) {
                    Files.createDirectory(next);
                    continue;
                }
                Files.createDirectory(next, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIRECTORY));
                // mkdir(2) applies the umask, which can only have removed bits; give the owner back what it took.
                if (!Files.getPosixFilePermissions(next).equals(OWNER_ONLY_DIRECTORY)) {
                    Files.setPosixFilePermissions(next, OWNER_ONLY_DIRECTORY);
                }
            } catch (FileAlreadyExistsException e) {
                // Created concurrently by another process, or something else is in the way: checked later.
            } catch (IOException e) {
                String what = next.equals(dir.toAbsolutePath()) ? "the directory" : "its parent " + next;
                throw refusal(dir, "cannot create " + what + " (" + reason(e) + ")", e);
            }
        }
    }

    /**
     * A new file named after {@code target} in the same directory, with permissions {@code 0600} from its
     * creation, holding {@code content} flushed to disk. Removed again if anything fails.
     */
    private static Path writeTemporaryFile(Path target, byte[] content) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        boolean posix = isPosix(dir);
        Path temp = Files.createTempFile(dir, "." + target.getFileName() + '.', ".tmp", ownerOnlyFile(posix));
        try {
            restoreOwnerOnly(temp, posix);
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            return temp;
        } catch (IOException | RuntimeException | Error e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** Creates a file with permissions {@code 0600} where the file system has POSIX permissions. */
    private static FileAttribute<?>[] ownerOnlyFile(boolean posix) {
        return posix ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE)}
                : new FileAttribute<?>[0];
    }

    /** The umask can only have removed bits from a new file's {@code 0600}; gives the owner back what it took. */
    private static void restoreOwnerOnly(Path file, boolean posix) throws IOException {
        if (posix && !Files.getPosixFilePermissions(file).equals(OWNER_ONLY_FILE)) {
            Files.setPosixFilePermissions(file, OWNER_ONLY_FILE);
        }
    }

    private static FileSystemException refusal(Path path, String problem, IOException cause) {
        FileSystemException e = new FileSystemException(path.toString(), null, problem);
        if (cause != null) {
            e.initCause(cause);
        }
        return e;
    }
}
