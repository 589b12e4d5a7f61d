package dev.mproxy.auth;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * Private directories (0700) and private files (0600) for secrets, created with those permissions from the
 * start rather than fixed afterwards. On a file system without POSIX permissions the checks are skipped.
 *
 * <p>Package-private on purpose: {@code dev.mproxy.tls} has a similar helper; merge them once both exist.
 */
final class SecureFiles {

    private static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> GROUP_OR_OTHERS = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private SecureFiles() {
    }

    /**
     * Makes sure {@code dir} is a directory only its owner can enter: creates it (and missing parents) with
     * mode 0700, or refuses an existing one that group or others may access.
     *
     * @throws IOException with a one-line message naming the fix ({@code chmod 700 DIR})
     */
    static void ensurePrivateDirectory(Path dir) throws IOException {
        boolean posix = isPosix(dir);
        if (Files.notExists(dir, LinkOption.NOFOLLOW_LINKS)) {
            try {
                if (posix) {
                    Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
                } else {
                    Files.createDirectories(dir);
                }
            } catch (FileAlreadyExistsException e) {
                // Created concurrently by another process, or a file is in the way: checked below.
            } catch (IOException e) {
                throw new IOException("cannot create data dir " + dir + ": " + reason(e), e);
            }
        }
        if (!Files.isDirectory(dir)) {
            throw new IOException("data dir " + dir + " is not a directory");
        }
        if (posix) {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(dir);
            if (!disjoint(mode, GROUP_OR_OTHERS)) {
                throw new IOException("data dir " + dir + " is accessible by group or others (mode "
                        + octal(mode) + "); run: chmod 700 " + dir);
            }
        }
    }

    /**
     * Writes {@code content} to {@code target}, which must not exist yet, so that no other process ever sees
     * it partly written or with wider permissions: a temporary file created 0600 in the same directory is
     * written and synced, then linked (or, where hard links are unsupported, atomically moved) into place.
     *
     * @return false if {@code target} appeared meanwhile (another process won; its file is kept)
     */
    static boolean createPrivateFile(Path target, byte[] content) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        FileAttribute<?>[] attrs = isPosix(dir)
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE)}
                : new FileAttribute<?>[0];
        Path tmp = Files.createTempFile(dir, target.getFileName() + ".", ".tmp", attrs);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(content);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            try {
                // A hard link fails if the target exists, so two first starts cannot replace each other's file.
                Files.createLink(target, tmp);
            } catch (FileAlreadyExistsException e) {
                return false;
            } catch (UnsupportedOperationException | IOException e) {
                if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                    return false;
                }
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            }
            return true;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** What went wrong, for a message that already names the path. */
    static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    static boolean isPosix(Path path) {
        return path.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    /** {@code 0755}-style rendering of a permission set. */
    static String octal(Set<PosixFilePermission> mode) {
        int bits = 0;
        for (PosixFilePermission p : mode) {
            // PosixFilePermission is declared from OWNER_READ (0400) down to OTHERS_EXECUTE (0001).
            bits |= 0400 >> p.ordinal();
        }
        return String.format("%04o", bits);
    }

    private static boolean disjoint(Set<PosixFilePermission> a, Set<PosixFilePermission> b) {
        for (PosixFilePermission p : a) {
            if (b.contains(p)) {
                return false;
            }
        }
        return true;
    }
}
