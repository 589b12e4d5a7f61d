package dev.mproxy.gateway;

import java.util.Locale;

/**
 * Why the gateway refused a connection, a device's grant or a token, as its metrics label it
 * ({@code mproxy_refusals_total{reason}}). A bounded set: a label value per reason, never per client.
 */
public enum RefusalReason {
    /** A TLS or HTTP connection asked for a name no connected device serves (routing 2.3, 3.3). */
    UNKNOWN_NAME,
    /** A TLS connection without a server name (SNI) in its ClientHello. */
    NO_SERVER_NAME,
    /** An HTTP request head that could not be read: malformed, too large, or not complete in time. */
    BAD_REQUEST,
    /** A device token that did not verify (bad signature, expired, malformed). */
    BAD_TOKEN,
    /** A device token that was revoked ({@code mproxy token revoke}). */
    REVOKED_TOKEN,
    /** A device presented no valid token in time. */
    NO_TOKEN,
    /** The device's tunnel carries its maximum of streams ({@code --max-streams}). */
    STREAM_LIMIT,
    /** A granted port is outside {@code --allow-ports}. */
    PORT_NOT_ALLOWED,
    /** A granted port could not be bound. */
    PORT_UNAVAILABLE,
    /** A granted name is longer than a stream header holds (routing 1.3). */
    NAME_TOO_LONG;

    private final String label = name().toLowerCase(Locale.ROOT);

    /** The metrics label value: {@code unknown_name}, {@code bad_token}, ... */
    public String label() {
        return label;
    }
}
