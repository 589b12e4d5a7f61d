package dev.mproxy.tls;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A certificate or key that exists but cannot be used: no PEM block of the expected kind, an encrypted key, a
 * key that does not match its certificate. (Permissions that let other users in are refused by
 * {@link dev.mproxy.files.SecureFiles}, with a message of the same form.) The message starts with the path
 * and says what was expected, so it can be shown to the user as it is.
 */
public final class TlsFileException extends IOException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;

    /**
     * @param file    the file or directory at fault
     * @param problem what is wrong with it, e.g. {@code "no certificate found (expected: ...)"}
     */
    public TlsFileException(Path file, String problem) {
        this(file, problem, null);
    }

    /**
     * @param file    the file or directory at fault
     * @param problem what is wrong with it, e.g. {@code "malformed PEM (...)"}
     * @param cause   the underlying failure, or {@code null}
     */
    public TlsFileException(Path file, String problem, Throwable cause) {
        super(requireNonNull(file, "file") + ": " + requireNonNull(problem, "problem"), cause);
        this.file = file;
    }

    /** The file or directory at fault. */
    public Path file() {
        return file;
    }
}
