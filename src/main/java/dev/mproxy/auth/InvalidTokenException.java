package dev.mproxy.auth;

/**
 * A device token, or the request that should carry one, is refused. The message is one line the gateway can
 * send back to the device as {@code {"code":"E_INVALID_TOKEN","message":...}}, as telebit's relay did; it
 * never contains the secret and quotes untrusted values only in short, escaped form.
 */
public final class InvalidTokenException extends Exception {

    /** The error code telebit's relay used for every token refusal. */
    public static final String CODE = "E_INVALID_TOKEN";

    private static final long serialVersionUID = 1L;

    private final boolean revoked;

    public InvalidTokenException(String message) {
        this(message, null, false);
    }

    public InvalidTokenException(String message, Throwable cause) {
        this(message, cause, false);
    }

    private InvalidTokenException(String message, Throwable cause, boolean revoked) {
        super(message, cause);
        this.revoked = revoked;
    }

    /** A valid token that was revoked ({@link RevokedTokens}). */
    public static InvalidTokenException revoked(String message) {
        return new InvalidTokenException(message, null, true);
    }

    /** Whether the token was valid but revoked, rather than not valid. */
    public boolean isRevoked() {
        return revoked;
    }

    /** Always {@value #CODE}. */
    public String code() {
        return CODE;
    }
}
