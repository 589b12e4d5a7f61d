package dev.mproxy.connector;

/**
 * Why a connector stopped for good instead of trying again: retrying cannot help until someone changes the
 * token, the address or the trust setting, or the device id is no longer used twice (control 2.6).
 */
public final class ConnectorFailure extends Exception {

    private static final long serialVersionUID = 1L;

    /** What is wrong; each has its own exit status in {@code mproxy connect}. */
    public enum Kind {
        /** The gateway refused the token (HTTP 401 or 403): unknown signer, expired, or not this gateway's. */
        TOKEN_REFUSED,
        /** Nothing at the URL's path (HTTP 404), or the server there is not an mproxy gateway. */
        NO_ENDPOINT,
        /** The URL's scheme does not match the port: ws:// against TLS, or wss:// against plain HTTP. */
        WRONG_SCHEME,
        /** The gateway's certificate is not trusted: fingerprint mismatch, unknown CA, wrong name. */
        UNTRUSTED_CERTIFICATE,
        /** A newer connection of the same device id took over (WebSocket close 4000). */
        REPLACED
    }

    private final Kind kind;

    public ConnectorFailure(Kind kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
