package dev.mproxy.rendezvous;

import dev.mproxy.auth.DeviceToken;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a peer asked for in its upgrade request to {@value #PATH} (rendezvous §1), checked.
 *
 * @param id       the relay id (rendezvous 1.2)
 * @param token    the verified token the request carried, or null: an unauthenticated peer (rendezvous 1.4)
 * @param browser  {@code browser=1}: the side a recording flags with 2 (rendezvous 1.3)
 * @param protocol MeshCentral's {@code p}, or null when absent
 */
public record RendezvousRequest(String id, DeviceToken token, boolean browser, Integer protocol) {

    /** The rendezvous endpoint's path on the gateway's device port (rendezvous 1.1). */
    public static final String PATH = "/relay";

    /** Thrown for an id that is not one (rendezvous 1.2); answered 400 with this code. */
    public static final String BAD_ID = "E_BAD_RELAY_ID";

    /** Thrown for any other bad parameter (rendezvous 1.3); answered 400 with this code. */
    public static final String BAD_REQUEST = "E_BAD_RELAY_REQUEST";

    public RendezvousRequest {
        RendezvousId.check(id);
        if (protocol != null && protocol < 0) {
            throw new IllegalArgumentException("protocol: " + protocol + " (expected: 0 to " + Integer.MAX_VALUE
                    + ')');
        }
    }

    /** Whether the peer presented a verified token. */
    public boolean authenticated() {
        return token != null;
    }

    /** The token's subject, or null for an unauthenticated peer. */
    public String user() {
        return token == null ? null : token.deviceId();
    }

    /**
     * Reads the parameters of an upgrade request to {@value #PATH}.
     *
     * @param uri   the request-target, e.g. {@code /relay?id=...&browser=1}
     * @param token the token the request carried, already verified, or null
     * @throws BadRelayRequestException naming the parameter, what it held and what was expected
     */
    public static RendezvousRequest parse(String uri, DeviceToken token) throws BadRelayRequestException {
        Map<String, List<String>> parameters;
        try {
            parameters = new QueryStringDecoder(uri).parameters();
        } catch (IllegalArgumentException e) {
            throw new BadRelayRequestException(BAD_REQUEST, "request URI is malformed: " + e.getMessage());
        }
        String id = single(parameters, "id", BAD_ID);
        if (id == null) {
            throw new BadRelayRequestException(BAD_ID, "request has no id parameter (expected: " + PATH
                    + "?id=ID)");
        }
        try {
            RendezvousId.check(id);
        } catch (IllegalArgumentException e) {
            throw new BadRelayRequestException(BAD_ID, e.getMessage());
        }
        return new RendezvousRequest(id, token, browser(single(parameters, "browser", BAD_REQUEST)),
                protocol(single(parameters, "p", BAD_REQUEST)));
    }

    private static String single(Map<String, List<String>> parameters, String name, String code)
            throws BadRelayRequestException {
        List<String> values = parameters.get(name);
        if (values == null) {
            return null;
        }
        if (values.size() > 1) {
            throw new BadRelayRequestException(code, "request has " + values.size() + ' ' + name
                    + " parameters (expected: one)");
        }
        return values.get(0);
    }

    private static boolean browser(String value) throws BadRelayRequestException {
        if (value == null || "0".equals(value)) {
            return false;
        }
        if ("1".equals(value)) {
            return true;
        }
        throw new BadRelayRequestException(BAD_REQUEST, "browser parameter is " + shorten(value)
                + " (expected: 1 or 0)");
    }

    private static Integer protocol(String value) throws BadRelayRequestException {
        if (value == null) {
            return null;
        }
        if (!value.isEmpty() && value.length() <= 10 && value.chars().allMatch(c -> c >= '0' && c <= '9')) {
            long p = Long.parseLong(value);
            if (p <= Integer.MAX_VALUE) {
                return (int) p;
            }
        }
        throw new BadRelayRequestException(BAD_REQUEST, "p parameter is " + shorten(value)
                + " (expected: a protocol number, 0 to " + Integer.MAX_VALUE + ')');
    }

    /** An untrusted value, quoted only when it is short printable ASCII. */
    private static String shorten(String value) {
        boolean printable = value.length() <= 40 && value.chars().allMatch(c -> c >= ' ' && c < 0x7f);
        return printable ? "'" + value + "'" : "a value of " + value.length() + " characters";
    }

    @Override
    public String toString() {
        return "relay " + id + (token == null ? "" : " user " + token.deviceId()) + (browser ? " browser" : "")
                + (protocol == null ? "" : " p=" + protocol);
    }

    /** A request to {@value #PATH} that cannot be served; the gateway answers 400 with {@link #code()}. */
    public static final class BadRelayRequestException extends Exception {

        private static final long serialVersionUID = 1L;

        private final String code;

        BadRelayRequestException(String code, String message) {
            super(message);
            this.code = Objects.requireNonNull(code, "code");
        }

        /** {@link #BAD_ID} or {@link #BAD_REQUEST}. */
        public String code() {
            return code;
        }
    }
}
