package dev.mproxy.tls;

import javax.net.ssl.SSLException;

/** Says why a TLS connection failed, in one line a user can act on. */
public final class TlsFailures {

    private TlsFailures() {
    }

    /**
     * The message of the deepest cause, which names the certificate problem: BoringSSL's handshake exception
     * says only "General OpenSslEngine problem" and keeps the trust manager's reason as its cause. Prefixed
     * with {@code TLS handshake failed: } when a TLS exception is in the chain.
     */
    public static String describe(Throwable failure) {
        boolean tls = false;
        String message = null;
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            tls |= t instanceof SSLException;
            if (t.getMessage() != null) {
                message = t.getMessage();
            }
        }
        if (message == null) {
            message = failure.getClass().getSimpleName();
        }
        return tls ? "TLS handshake failed: " + message : message;
    }
}
