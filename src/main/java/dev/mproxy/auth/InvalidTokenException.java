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

    public InvalidTokenException(String message) {
        super(message);
    }

    public InvalidTokenException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Always {@value #CODE}. */
    public String code() {
        return CODE;
    }
}
