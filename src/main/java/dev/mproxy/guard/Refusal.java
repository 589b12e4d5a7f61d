package dev.mproxy.guard;

/**
 * Every reason the gateway refuses a connection or stream, or cuts one short, because a bound of
 * protocol-spec/limits.md was reached or a peer broke a rule before it was trusted. Counted by {@link Refusals};
 * the rule that states each is named in its description.
 */
public enum Refusal {
    /** A device-port connection did not finish TLS and the WebSocket upgrade in time (limits 1.1). */
    HANDSHAKE_TIMEOUT("did not finish the upgrade in time (limits 1.1)"),
    /** The device port was answered with anything but 101; the connection is closed after it (limits 1.2). */
    UPGRADE_REFUSED("upgrade refused (limits 1.2)"),
    /** Bytes on the TLS device port that are not TLS, or a failed TLS handshake (limits 1.3). */
    NOT_TLS("not a TLS handshake (limits 1.3)"),
    /** One source address (IPv4, or IPv6 /64) holds its maximum of connections on a port kind (limits 2.1). */
    TOO_MANY_CONNECTIONS("too many connections from one source (limits 2.1)"),
    /** One source holds its maximum of streams on one device's tunnel (limits 2.2). */
    TOO_MANY_STREAMS("too many streams from one source on one tunnel (limits 2.2)"),
    /** A public stream saw no byte either way for the idle timeout (limits 2.3). */
    STREAM_IDLE("stream idle (limits 2.3)"),
    /** The gateway's memory budget is spent: a new public connection is refused (limits 3.2). */
    MEMORY_BUDGET("memory budget spent (limits 3.2)"),
    /** A tunnel's memory budget is spent: it is not read until it drains (limits 3.1). */
    TUNNEL_MEMORY("tunnel memory budget spent (limits 3.1)"),
    /** A control message other than a token before authentication (limits 4.1). */
    UNAUTHENTICATED_COMMAND("command before authentication (limits 4.1)"),
    /** A token that does not verify (limits 4.2). */
    BAD_TOKEN("token refused (limits 4.2)"),
    /** Too many failed authentications from one source (limits 4.2). */
    AUTH_THROTTLED("authentication throttled (limits 4.2)"),
    /** A live tunnel's token passed its {@code exp} and the grace (limits 4.3). */
    TOKEN_EXPIRED("token expired on a live tunnel (limits 4.3)"),
    /** A public connection for a name no connected device serves (routing). */
    UNKNOWN_NAME("no device serves the name"),
    /** A public connection whose ClientHello or request head could not be routed (routing). */
    UNROUTABLE("could not be routed");

    private final String description;

    Refusal(String description) {
        this.description = description;
    }

    /** What happened, in a few words, with the rule of protocol-spec/limits.md that says so. */
    public String description() {
        return description;
    }
}
