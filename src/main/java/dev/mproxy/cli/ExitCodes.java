package dev.mproxy.cli;

/** Process exit codes of {@code mproxy}, following BSD {@code sysexits.h} where one fits. */
final class ExitCodes {

    static final int OK = 0;
    /** Any failure not described by another code. */
    static final int FAILURE = 1;
    /** Bad command line: unknown option, missing argument. */
    static final int USAGE = 2;
    /** {@code connect}: a newer connection of the same device id took over (control 2.6). */
    static final int REPLACED = 3;
    /** {@code EX_DATAERR}: the input data was incorrect (a corrupt stream, an unusable fixture). */
    static final int DATA_ERROR = 65;
    /**
     * {@code EX_PROTOCOL}: {@code connect} found no device endpoint at the URL (404), or a scheme that does not
     * match the port ({@code ws://} against TLS, {@code wss://} against plain HTTP).
     */
    static final int NO_ENDPOINT = 76;
    /** {@code EX_NOPERM}: the gateway refused the token (401, 403): expired, or signed with another secret. */
    static final int TOKEN_REFUSED = 77;
    /** {@code EX_CONFIG}: the gateway's certificate is not trusted (fingerprint mismatch, unknown CA). */
    static final int UNTRUSTED = 78;
    /** 128 + SIGTERM: stopped by a signal with streams still open after the drain timeout. */
    static final int TERMINATED = 143;

    private ExitCodes() {
    }
}
