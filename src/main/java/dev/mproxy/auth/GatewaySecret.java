package dev.mproxy.auth;

import dev.mproxy.files.SecureFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

/**
 * The gateway's HMAC key, which signs and verifies every device token.
 *
 * <p><b>One rule for every secret file:</b> the key is the file's content with leading and trailing ASCII
 * whitespace removed, taken as raw bytes, and it must be at least {@value #MIN_KEY_BYTES} bytes long. No
 * decoding is applied. This is how telebit's relay and node's {@code jsonwebtoken} use a string secret (its
 * UTF-8 bytes), so a telebit {@code secret} copied into a file keeps verifying telebit-signed tokens, and
 * any JWT tool can sign a token with the file's content as a plain string secret.
 *
 * <p>A generated secret ({@link #loadOrCreate}) is 32 bytes from {@link SecureRandom}, written as 43
 * base64url characters plus a newline; by the rule above the key is those 43 characters (256 bits of
 * entropy).
 *
 * <p>The key bytes never leave this package, and {@link #toString()} names only where the secret came from.
 */
public final class GatewaySecret {

    /** File name of the generated secret inside the data dir. */
    public static final String FILE_NAME = "gateway.secret";

    /** RFC 7518 §3.2: an HS256 key must be at least as long as the hash output, 256 bits. */
    public static final int MIN_KEY_BYTES = 32;

    /** A secret file larger than this is surely the wrong file. */
    static final int MAX_FILE_BYTES = 4096;

    private static final int GENERATED_BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] key;
    private final String source;
    private final boolean created;

    private GatewaySecret(byte[] key, String source, boolean created) {
        this.key = key;
        this.source = source;
        this.created = created;
    }

    /**
     * A secret held in memory, for tests and embedding.
     *
     * @param key at least {@value #MIN_KEY_BYTES} bytes; copied
     */
    public static GatewaySecret of(byte[] key) {
        if (key.length < MIN_KEY_BYTES) {
            throw new IllegalArgumentException("secret is " + key.length + " bytes (expected: at least "
                    + MIN_KEY_BYTES + ')');
        }
        return new GatewaySecret(key.clone(), "memory", false);
    }

    /**
     * The secret in {@code dataDir/}{@value #FILE_NAME}, generated on first use. The data dir is created with
     * mode 0700 if missing and refused if group or others may access it; a new secret file is created 0600.
     * Two processes starting at once end up with the same secret.
     *
     * @throws IOException with a one-line message fit for the user
     */
    public static GatewaySecret loadOrCreate(Path dataDir) throws IOException {
        SecureFiles.createPrivateDirectory(dataDir);
        Path file = dataDir.resolve(FILE_NAME);
        if (Files.exists(file)) {
            return load(file);
        }
        byte[] random = new byte[GENERATED_BYTES];
        RANDOM.nextBytes(random);
        String text = Base64.getUrlEncoder().withoutPadding().encodeToString(random) + '\n';
        Arrays.fill(random, (byte) 0);
        boolean created;
        try {
            created = SecureFiles.createPrivateFile(file, text.getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new IOException("cannot create secret file " + file + ": " + SecureFiles.reason(e), e);
        }
        GatewaySecret loaded = load(file);
        return new GatewaySecret(loaded.key, loaded.source, created);
    }

    /**
     * The secret in an existing file ({@code --secret-file}), by the rule in the class comment. The file's
     * permissions are left to the operator (a Kubernetes secret volume, for one, is often mode 0644).
     *
     * @throws IOException if the file is missing, unreadable, over {@value #MAX_FILE_BYTES} bytes, or holds
     *                     fewer than {@value #MIN_KEY_BYTES} bytes after trimming; the message says which
     */
    public static GatewaySecret load(Path file) throws IOException {
        byte[] content;
        try (InputStream in = Files.newInputStream(file)) {
            content = in.readNBytes(MAX_FILE_BYTES + 1);
        } catch (NoSuchFileException e) {
            throw new IOException("secret file " + file + " does not exist");
        } catch (IOException e) {
            throw new IOException("secret file " + file + " cannot be read: " + SecureFiles.reason(e), e);
        }
        if (content.length > MAX_FILE_BYTES) {
            throw new IOException("secret file " + file + " is larger than " + MAX_FILE_BYTES
                    + " bytes; is it the right file?");
        }
        int from = 0;
        int to = content.length;
        while (from < to && isAsciiWhitespace(content[from])) {
            from++;
        }
        while (to > from && isAsciiWhitespace(content[to - 1])) {
            to--;
        }
        byte[] key = Arrays.copyOfRange(content, from, to);
        Arrays.fill(content, (byte) 0);
        if (key.length < MIN_KEY_BYTES) {
            throw new IOException("secret file " + file + " holds " + key.length + " bytes after trimming "
                    + "whitespace (expected: at least " + MIN_KEY_BYTES + ")");
        }
        return new GatewaySecret(key, file.toString(), false);
    }

    /** Whether {@link #loadOrCreate} generated this secret just now (the caller may want to say so). */
    public boolean created() {
        return created;
    }

    /** Where the secret came from: a file path, or {@code "memory"}. */
    public String source() {
        return source;
    }

    /** The raw HMAC key; a copy. */
    byte[] key() {
        return key.clone();
    }

    /** Names the source and the key length, never the key. */
    @Override
    public String toString() {
        return "GatewaySecret(" + source + ", " + key.length + " bytes)";
    }

    private static boolean isAsciiWhitespace(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f' || b == 0x0b;
    }
}
