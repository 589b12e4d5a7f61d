package dev.mproxy.admin;

import dev.mproxy.files.SecureFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The admin API's credential (protocol-spec/admin.md §2): 256 random bits, URL-safe base64, kept in
 * {@value #FILE_NAME} in the data directory ({@code 0600}) and sent as {@code Authorization: Bearer}. It is not a
 * JWT and not signed with the device secret, so no device token can ever pass for it.
 */
public final class AdminToken {

    /** The file's name in the data directory. */
    public static final String FILE_NAME = "admin.token";

    private static final int BYTES = 32;

    private final byte[] token;
    private final Path file;

    private AdminToken(String token, Path file) {
        this.token = token.getBytes(StandardCharsets.US_ASCII);
        this.file = file;
    }

    /** The token in {@code dataDir}, created on first use; its file must be its owner's only. */
    public static AdminToken loadOrCreate(Path dataDir) throws IOException {
        Path file = dataDir.resolve(FILE_NAME);
        if (!Files.exists(file)) {
            SecureFiles.createPrivateDirectory(dataDir);
            byte[] random = new byte[BYTES];
            new SecureRandom().nextBytes(random);
            SecureFiles.createPrivateFile(file, (Base64.getUrlEncoder().withoutPadding().encodeToString(random)
                    + "\n").getBytes(StandardCharsets.US_ASCII)); // false: another process made it first, read theirs
        }
        return load(file);
    }

    /**
     * The token in {@code file}, as {@code mproxy status} reads it.
     *
     * @throws IOException when it is missing, readable by others, or empty, saying which
     */
    public static AdminToken load(Path file) throws IOException {
        SecureFiles.requireOwnerOnly(file);
        String token = Files.readString(file, StandardCharsets.US_ASCII).strip();
        if (token.isEmpty()) {
            throw new IOException(file + " is empty (expected: the admin token the gateway wrote)");
        }
        return new AdminToken(token, file);
    }

    /** Whether {@code presented} is this token; in constant time, so timing does not tell how much matched. */
    public boolean matches(String presented) {
        return presented != null
                && MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.US_ASCII));
    }

    /** The token itself, for a client's {@code Authorization} header. */
    public String value() {
        return new String(token, StandardCharsets.US_ASCII);
    }

    /** Where it is kept. */
    public Path file() {
        return file;
    }

    @Override
    public String toString() {
        return "AdminToken(" + file + ')'; // never the value
    }
}
