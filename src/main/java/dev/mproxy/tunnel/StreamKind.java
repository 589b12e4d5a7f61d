package dev.mproxy.tunnel;

import java.util.Locale;

/**
 * What a stream carries, as the gateway's metrics and admin API name it: a public TCP port, the shared TLS port
 * (routed by SNI, never decrypted), the shared HTTP port (routed by Host), or a rendezvous relay pair.
 */
public enum StreamKind {
    TCP,
    TLS,
    HTTP,
    /** A rendezvous relay pair (protocol-spec/rendezvous.md); never a tunnel's stream. */
    RELAY;

    private static final StreamKind[] VALUES = values();

    private final String label = name().toLowerCase(Locale.ROOT);

    /** The lowercase name used as a metrics label and in JSON: {@code tcp}, {@code tls}, {@code http}, {@code relay}. */
    public String label() {
        return label;
    }

    /** The kinds, in declaration order; a shared array, not to be changed. */
    static StreamKind[] all() {
        return VALUES;
    }

    /**
     * The kind of a stream by its header's service (routing.md): {@code https} is the TLS port, {@code http} the
     * HTTP port, anything else a TCP port.
     */
    public static StreamKind ofService(String service) {
        switch (service) {
            case "https":
                return TLS;
            case "http":
                return HTTP;
            default:
                return TCP;
        }
    }
}
