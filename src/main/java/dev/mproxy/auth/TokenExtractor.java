package dev.mproxy.auth;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Finds the device token in an HTTP request (the gateway's WebSocket upgrade), in this order:
 * <ol>
 *   <li>{@code Authorization: Bearer <token>} (RFC 6750 §2.1; telebit's Go client);</li>
 *   <li>{@code Authorization: Basic base64(user:<token>)}, the password part, the user ignored (telebit's
 *       relay v0.20);</li>
 *   <li>{@code ?access_token=<token>} in the request URI (RFC 6750 §2.3; telebit 2016 and Go).</li>
 * </ol>
 * An {@code Authorization} header decides alone: if it is present but unusable the request is refused, even
 * when the URI carries a token, so a broken header never goes unnoticed. The in-band {@code add_token}
 * control command is handled elsewhere. The token itself is not checked here; see {@link TokenVerifier}.
 */
public final class TokenExtractor {

    /** The URI query parameter of RFC 6750 §2.3. */
    public static final String QUERY_PARAMETER = "access_token";

    private TokenExtractor() {
    }

    /**
     * The token carried by a request, or empty if it carries none (the device may then send
     * {@code add_token}).
     *
     * @param headers the request's headers
     * @param uri     the request-target, e.g. {@code /?access_token=...}
     * @throws InvalidTokenException if a header or parameter meant to carry a token is malformed, e.g.
     *                               {@code "Authorization: Basic value is not base64"}
     */
    public static Optional<String> fromRequest(HttpHeaders headers, String uri) throws InvalidTokenException {
        List<String> authorization = headers.getAll(HttpHeaderNames.AUTHORIZATION);
        if (authorization.size() > 1) {
            throw new InvalidTokenException("request has " + authorization.size()
                    + " Authorization headers (expected: one)");
        }
        if (authorization.size() == 1) {
            return Optional.of(fromAuthorization(authorization.get(0)));
        }
        return fromQuery(uri);
    }

    private static String fromAuthorization(String value) throws InvalidTokenException {
        String v = value.strip();
        int space = v.indexOf(' ');
        String scheme = space < 0 ? v : v.substring(0, space);
        String credentials = space < 0 ? "" : v.substring(space + 1).strip();
        // RFC 7235 §2.1: the scheme is case-insensitive.
        switch (scheme.toLowerCase(Locale.ROOT)) {
            case "bearer":
                return checkToken(credentials, "Authorization: Bearer value");
            case "basic":
                return fromBasic(credentials);
            default:
                throw new InvalidTokenException("Authorization scheme " + DomainNames.printable(scheme)
                        + " is not supported (expected: Bearer or Basic)");
        }
    }

    private static String fromBasic(String credentials) throws InvalidTokenException {
        if (credentials.isEmpty()) {
            throw new InvalidTokenException("Authorization: Basic value is empty");
        }
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(credentials);
        } catch (IllegalArgumentException e) {
            throw new InvalidTokenException("Authorization: Basic value is not base64");
        }
        String userPass;
        try {
            userPass = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(decoded))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new InvalidTokenException("Authorization: Basic value is not UTF-8 text");
        }
        int colon = userPass.indexOf(':');
        if (colon < 0) {
            throw new InvalidTokenException("Authorization: Basic value has no ':' (expected: base64 of "
                    + "user:token)");
        }
        return checkToken(userPass.substring(colon + 1), "Authorization: Basic password");
    }

    private static Optional<String> fromQuery(String uri) throws InvalidTokenException {
        List<String> values;
        try {
            values = new QueryStringDecoder(uri).parameters().get(QUERY_PARAMETER);
        } catch (IllegalArgumentException e) {
            throw new InvalidTokenException("request URI is malformed: " + DomainNames.printable(e.getMessage()));
        }
        if (values == null) {
            return Optional.empty();
        }
        if (values.size() > 1) {
            throw new InvalidTokenException("request URI has " + values.size() + ' ' + QUERY_PARAMETER
                    + " parameters (expected: one)");
        }
        return Optional.of(checkToken(values.get(0), QUERY_PARAMETER + " parameter"));
    }

    /** A token is non-empty and holds no whitespace or control characters (a JWT is base64url and dots). */
    private static String checkToken(String token, String where) throws InvalidTokenException {
        if (token.isEmpty()) {
            throw new InvalidTokenException(where + " is empty");
        }
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c <= ' ' || c == 0x7f) {
                throw new InvalidTokenException(where + " holds whitespace or a control character");
            }
        }
        return token;
    }
}
