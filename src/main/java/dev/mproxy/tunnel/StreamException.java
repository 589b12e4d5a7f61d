package dev.mproxy.tunnel;

/** A stream failure that carries its {@code error} code (see {@link StreamErrors}). */
public final class StreamException extends Exception {

    private static final long serialVersionUID = 1L;

    private final String code;

    public StreamException(String code, String message) {
        super(message);
        this.code = code;
    }

    public String code() {
        return code;
    }
}
