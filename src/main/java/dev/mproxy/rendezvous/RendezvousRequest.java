package dev.mproxy.rendezvous;

import dev.mproxy.auth.DeviceToken;
import dev.mproxy.auth.InvalidTokenException;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

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

    /** MeshCentral's path for the same endpoint, which its web UI builds from the page's own (rendezvous 1.1). */
    public static final String MESHCENTRAL_PATH = "/meshrelay.ashx";

    /** The parameter MeshCentral's web UI carries its login token in; a gateway token here (rendezvous 1.4). */
    public static final String AUTH_PARAMETER = "auth";

    /** Thrown for an id that is not one (rendezvous 1.2); answered 400 with this code. */
    public static final String BAD_ID = "E_BAD_RELAY_ID";

    /** Thrown for any other bad parameter (rendezvous 1.3); answered 400 with this code. */
    public static final String BAD_REQUEST = "E_BAD_RELAY_REQUEST";

    /** Thrown for an id in MeshCentral's shape from a peer without a token (rendezvous 1.2); answered 401. */
    public static final String TOKEN_REQUIRED = "E_RELAY_TOKEN_REQUIRED";

    public RendezvousRequest {
        RendezvousId.checkAtGateway(id);
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

    /** Whether {@code path} is the rendezvous endpoint's: {@value #PATH} or MeshCentral's {@value #MESHCENTRAL_PATH}. */
    public static boolean isRelayPath(String path) {
        return PATH.equals(path) || MESHCENTRAL_PATH.equals(path);
    }

    /**
     * The token of a relay request: the one found in the usual places ({@code found}: a header or
     * {@code access_token}), or else the one in MeshCentral's {@value #AUTH_PARAMETER} parameter, where its web UI
     * puts its login token and so the only place a page using its relay script can put ours (rendezvous 1.4).
     *
     * @throws InvalidTokenException if {@value #AUTH_PARAMETER} is there twice, empty, or beside another token
     */
    public static Optional<String> token(String uri, Optional<String> found) throws InvalidTokenException {
        List<String> values;
        try {
            values = new QueryStringDecoder(uri).parameters().get(AUTH_PARAMETER);
        } catch (IllegalArgumentException e) {
            throw new InvalidTokenException("request URI is malformed");
        }
        if (values == null) {
            return found;
        }
        if (values.size() > 1) {
            throw new InvalidTokenException("request URI has " + values.size() + ' ' + AUTH_PARAMETER
                    + " parameters (expected: one)");
        }
        if (found.isPresent()) {
            throw new InvalidTokenException("request carries a token in its " + AUTH_PARAMETER
                    + " parameter and another one (expected: one token)");
        }
        if (values.get(0).isEmpty()) {
            throw new InvalidTokenException(AUTH_PARAMETER + " parameter is empty");
        }
        return Optional.of(values.get(0));
    }

    /**
     * Reads the parameters of an upgrade request to {@value #PATH}, where only a peer with a token may use an id
     * in MeshCentral's shape.
     *
     * @see #parse(String, DeviceToken, boolean)
     */
    public static RendezvousRequest parse(String uri, DeviceToken token) throws BadRelayRequestException {
        return parse(uri, token, false);
    }

    /**
     * Reads the parameters of an upgrade request to {@value #PATH} (or {@value #MESHCENTRAL_PATH}).
     *
     * @param uri           the request-target, e.g. {@code /relay?id=...&browser=1}
     * @param token         the token the request carried, already verified, or null
     * @param guessableIds  whether a peer without a token may use an id in MeshCentral's shape, which a stranger
     *                      could guess ({@code gateway --relay-guessable-ids}, rendezvous 1.2)
     * @throws BadRelayRequestException naming the parameter, what it held and what was expected
     */
    public static RendezvousRequest parse(String uri, DeviceToken token, boolean guessableIds)
            throws BadRelayRequestException {
        Map<String, List<String>> parameters;
        try {
            parameters = new QueryStringDecoder(uri).parameters();
        } catch (IllegalArgumentException e) {
            // Netty's message quotes the whole URI, control characters and all: not echoed (rendezvous 1.2)
            throw new BadRelayRequestException(BAD_REQUEST, "request URI is malformed (expected: each '%' "
                    + "followed by two hex digits of UTF-8)");
        }
        String id = single(parameters, "id", BAD_ID);
        if (id == null) {
            throw new BadRelayRequestException(BAD_ID, "request has no id parameter (expected: " + PATH
                    + "?id=ID)");
        }
        try {
            RendezvousId.checkAtGateway(id);
        } catch (IllegalArgumentException e) {
            throw new BadRelayRequestException(BAD_ID, e.getMessage());
        }
        if (token == null && !guessableIds && !RendezvousId.isUnguessable(id)) {
            throw new BadRelayRequestException(TOKEN_REQUIRED, 401, "relay id " + shorten(id) + " is not "
                    + RendezvousId.MIN_LENGTH + " to " + RendezvousId.MAX_LENGTH + " base64url characters, so it "
                    + "could be guessed (expected: a token with it, or an id of that shape)");
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

    /**
     * A request to {@value #PATH} that cannot be served; the gateway answers {@link #status()} with
     * {@link #code()}.
     */
    public static final class BadRelayRequestException extends Exception {

        private static final long serialVersionUID = 1L;

        private final String code;
        private final int status;

        BadRelayRequestException(String code, String message) {
            this(code, 400, message);
        }

        BadRelayRequestException(String code, int status, String message) {
            super(message);
            this.code = Objects.requireNonNull(code, "code");
            this.status = status;
        }

        /** {@link #BAD_ID}, {@link #BAD_REQUEST} or {@link #TOKEN_REQUIRED}. */
        public String code() {
            return code;
        }

        /** The HTTP status to answer with: 400, or 401 for {@link #TOKEN_REQUIRED}. */
        public int status() {
            return status;
        }
    }
}
