package dev.mproxy.auth;

import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTVerifier;
import com.auth0.jwt.algorithms.Algorithm;
import com.auth0.jwt.exceptions.AlgorithmMismatchException;
import com.auth0.jwt.exceptions.IncorrectClaimException;
import com.auth0.jwt.exceptions.JWTVerificationException;
import com.auth0.jwt.exceptions.SignatureVerificationException;
import com.auth0.jwt.exceptions.TokenExpiredException;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Verifies device tokens and returns what they grant. Thread-safe.
 *
 * <p>A token is accepted only if all of these hold, checked in this order; the first that fails is the
 * {@link InvalidTokenException}'s message:
 * <ol>
 *   <li>it is at most {@value #MAX_TOKEN_LENGTH} characters in three dot-separated parts whose header and
 *       payload are base64url JSON objects, without duplicate members;</li>
 *   <li>the header's {@code alg} is exactly {@code HS256}: {@code none}, the other HMACs and every public-key
 *       algorithm are refused by name before any key is used, and the library verifier is built for HS256
 *       only, so neither "alg none" nor algorithm confusion can get through; a {@code crit} header is
 *       refused (RFC 7515 §4.1.11: we understand no extensions);</li>
 *   <li>{@code exp}, {@code nbf} and {@code iat}, where present, are times (seconds since 1970, up to year
 *       9999);</li>
 *   <li>the HMAC-SHA256 signature verifies with the gateway's secret;</li>
 *   <li>it has not expired, is not used before {@code nbf}, and was not issued in the future, each allowing
 *       {@link #CLOCK_SKEW} between the signer's clock and ours;</li>
 *   <li>{@code ports} (if present) is an array of ports 1 to 65535, as integers or as decimal strings
 *       (telebit's own {@code signToken} writes {@code ["21700"]}), and {@code domains} (if present) an array
 *       of valid names or {@code *.} wildcards ({@link DomainNames});</li>
 *   <li>the device id is {@code sub}, else telebit's relay's {@code id} (both, if present, must be equal),
 *       else, for a token telebit signs for itself with neither, {@value #DERIVED_ID_PREFIX} and the domains and
 *       ports it grants; it must be a valid device id ({@link DeviceToken#checkDeviceId}).</li>
 * </ol>
 * Other claims ({@code aud}, {@code iss} — a number in telebit's own tokens —, telebit's {@code device}, ...)
 * are ignored (protocol-spec/control.md 2.5).
 */
public final class TokenVerifier {

    /** The clock difference tolerated on {@code exp}, {@code nbf} and {@code iat}. */
    public static final Duration CLOCK_SKEW = Duration.ofSeconds(30);

    /** Tokens travel in HTTP headers, which servers commonly cap at 8 KiB. */
    public static final int MAX_TOKEN_LENGTH = 8192;

    /** The only algorithm accepted. */
    public static final String ALGORITHM = "HS256";

    static final String PORTS = "ports";
    static final String DOMAINS = "domains";
    /** telebit's relay names a device by this claim; {@link TokenSigner} writes it equal to {@code sub}. */
    static final String ID = "id";

    /** Begins the id of a device whose token has neither {@code sub} nor {@code id}. */
    public static final String DERIVED_ID_PREFIX = "telebit:";

    /** A port as telebit's {@code signToken} writes it: decimal digits, no sign, no leading zero. */
    private static final Pattern DECIMAL_PORT = Pattern.compile("[1-9][0-9]{0,4}");

    /** 9999-12-31T23:59:59Z: later "times" are refused rather than risk overflow in date arithmetic. */
    private static final long MAX_EPOCH_SECOND = 253_402_300_799L;

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private static final Base64.Encoder URL_ENCODER = Base64.getUrlEncoder().withoutPadding();

    private final JWTVerifier verifier;
    private final Clock clock;
    private final RevokedTokens revoked;

    /**
     * @param secret the gateway's key
     * @param clock  the time expiry is judged by
     */
    public TokenVerifier(GatewaySecret secret, Clock clock) {
        this(secret, clock, RevokedTokens.inMemory());
    }

    /**
     * @param secret  the gateway's key
     * @param clock   the time expiry is judged by
     * @param revoked tokens refused although they verify (protocol-spec/admin.md §5)
     */
    public TokenVerifier(GatewaySecret secret, Clock clock, RevokedTokens revoked) {
        this.revoked = revoked;
        this.clock = clock;
        this.verifier = ((JWTVerifier.BaseVerification) JWT.require(Algorithm.HMAC256(secret.key()))
                .acceptLeeway(CLOCK_SKEW.toSeconds()))
                .build(clock);
    }

    /**
     * What {@code token} grants.
     *
     * @throws InvalidTokenException with a one-line reason, e.g. {@code "token expired at 2026-11-01T00:00:00Z
     *                               (gateway time ...; clock skew allowed: 30 s)"}
     */
    public DeviceToken verify(String token) throws InvalidTokenException {
        if (token == null || token.isEmpty()) {
            throw new InvalidTokenException("token is empty");
        }
        if (token.length() > MAX_TOKEN_LENGTH) {
            throw new InvalidTokenException("token is " + token.length() + " characters long (expected: at most "
                    + MAX_TOKEN_LENGTH + ')');
        }
        String[] parts = token.split("\\.", -1);
        if (parts.length != 3) {
            throw new InvalidTokenException("token is not a JWT: it has " + parts.length
                    + " dot-separated part(s) (expected: 3)");
        }
        String[] names = {"header", "payload", "signature"};
        for (int i = 0; i < 3; i++) {
            // RFC 7515 §2: base64url without padding; a lenient decoder took "sig=" as "sig" (limits 4.2)
            if (!parts[i].chars().allMatch(TokenVerifier::isBase64Url)) {
                throw new InvalidTokenException("token " + names[i] + " holds a character outside base64url "
                        + "(expected: A-Z a-z 0-9 - _ and no padding)");
            }
        }
        JsonNode header = jsonObject(parts[0], "header");
        JsonNode payload = jsonObject(parts[1], "payload");
        // control 2.5.1: one spelling per token, so a signed token cannot be altered and still verify
        strictBase64Url(parts[2], "signature");
        checkAlgorithm(header);
        for (String claim : new String[] {"exp", "nbf", "iat"}) {
            checkTime(payload, claim);
        }
        try {
            verifier.verify(token);
        } catch (SignatureVerificationException e) {
            throw new InvalidTokenException("token signature does not verify with this gateway's secret");
        } catch (TokenExpiredException e) {
            throw new InvalidTokenException("token expired at " + e.getExpiredOn() + skewNote());
        } catch (IncorrectClaimException e) {
            String name = e.getClaimName();
            if ("nbf".equals(name)) {
                throw new InvalidTokenException("token is not valid before " + time(payload, name) + skewNote());
            }
            if ("iat".equals(name)) {
                throw new InvalidTokenException("token was issued at " + time(payload, name)
                        + ", in the future" + skewNote());
            }
            throw new InvalidTokenException("token claim " + name + " is refused: " + e.getMessage(), e);
        } catch (AlgorithmMismatchException e) {
            // checkAlgorithm has already refused every other alg; kept so no path skips the check.
            throw new InvalidTokenException("token algorithm is not accepted (expected: " + ALGORITHM + ')', e);
        } catch (JWTVerificationException e) {
            throw new InvalidTokenException("token is malformed: " + e.getMessage(), e);
        }
        DeviceToken claims = claims(payload);
        Optional<String> revocation = revoked.reason(claims);
        if (revocation.isPresent()) {
            throw InvalidTokenException.revoked("token is revoked: " + revocation.get());
        }
        return claims;
    }

    /** The tokens refused although they verify. */
    public RevokedTokens revocations() {
        return revoked;
    }

    private static boolean isBase64Url(int c) {
        return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_';
    }

    private static JsonNode jsonObject(String segment, String what) throws InvalidTokenException {
        byte[] bytes = strictBase64Url(segment, what);
        JsonNode node;
        try {
            node = JSON.readTree(bytes);
        } catch (JacksonException e) {
            // Jackson quotes the input: escaped and cut, as it goes into replies and logs
            throw new InvalidTokenException("token " + what + " is not valid JSON: "
                    + DomainNames.printable(e.getOriginalMessage().lines().findFirst().orElse("")));
        } catch (IOException e) {
            throw new InvalidTokenException("token " + what + " is not valid JSON", e);
        }
        if (node == null || !node.isObject()) {
            throw new InvalidTokenException("token " + what + " is not a JSON object");
        }
        return node;
    }

    /**
     * A segment in base64url as JWS writes it (RFC 7515 §2, control 2.5.1), its alphabet already checked: a
     * length that decodes, and no bits set past the last byte. The JDK's decoder accepts such bits, so several
     * spellings would decode to one signature.
     */
    private static byte[] strictBase64Url(String segment, String what) throws InvalidTokenException {
        // its alphabet was checked first, for all three segments
        byte[] bytes;
        try {
            bytes = Base64.getUrlDecoder().decode(segment);
        } catch (IllegalArgumentException e) {
            throw new InvalidTokenException("token " + what + " is not base64url");
        }
        if (!URL_ENCODER.encodeToString(bytes).equals(segment)) {
            throw new InvalidTokenException("token " + what + " is not canonical base64url: its last character "
                    + "sets bits that encode nothing");
        }
        return bytes;
    }

    private static void checkAlgorithm(JsonNode header) throws InvalidTokenException {
        JsonNode alg = header.get("alg");
        if (alg == null || alg.isNull()) {
            throw new InvalidTokenException("token header has no alg (expected: " + ALGORITHM + ')');
        }
        if (!alg.isTextual()) {
            throw new InvalidTokenException("token header alg is not a string (expected: " + ALGORITHM + ')');
        }
        if (!ALGORITHM.equals(alg.textValue())) {
            throw new InvalidTokenException("token algorithm " + DomainNames.printable(alg.textValue())
                    + " is not accepted (expected: " + ALGORITHM + ')');
        }
        if (header.has("crit")) {
            throw new InvalidTokenException("token header has crit, naming extensions this gateway does not "
                    + "understand");
        }
    }

    private static void checkTime(JsonNode payload, String claim) throws InvalidTokenException {
        JsonNode value = payload.get(claim);
        if (value == null) {
            return;
        }
        if (!value.isNumber() || value.asDouble() < 0 || value.asDouble() > MAX_EPOCH_SECOND) {
            throw new InvalidTokenException("token claim " + claim + " is not a time (expected: seconds since "
                    + "1970-01-01T00:00:00Z)");
        }
    }

    /** A time claim already checked by {@link #checkTime}. */
    private static Instant time(JsonNode payload, String claim) {
        return Instant.ofEpochSecond(payload.get(claim).asLong());
    }

    private String skewNote() {
        return " (gateway time " + clock.instant().truncatedTo(ChronoUnit.SECONDS)
                + "; clock skew allowed: " + CLOCK_SKEW.toSeconds() + " s)";
    }

    private static DeviceToken claims(JsonNode payload) throws InvalidTokenException {
        List<Integer> ports = new ArrayList<>();
        for (JsonNode port : array(payload, PORTS, "port numbers")) {
            ports.add(port(port));
        }
        List<String> domains = new ArrayList<>();
        for (JsonNode domain : array(payload, DOMAINS, "domain names")) {
            if (!domain.isTextual()) {
                throw new InvalidTokenException("token claim domains holds " + shortJson(domain)
                        + " (expected: strings)");
            }
            domains.add(domain.textValue());
        }
        for (String domain : domains) {
            try {
                DomainNames.normalizePattern(domain);
            } catch (IllegalArgumentException e) {
                throw new InvalidTokenException("token claim domains: " + e.getMessage());
            }
        }
        String device = deviceId(payload, ports, domains);
        JsonNode exp = payload.get("exp");
        Instant expiresAt = exp == null ? null : Instant.ofEpochSecond(exp.asLong());
        JsonNode iat = payload.get("iat");
        return new DeviceToken(device, ports, domains, expiresAt)
                .withIssue(optionalString(payload, "jti"), iat == null ? null : Instant.ofEpochSecond(iat.asLong()));
    }

    /**
     * A port of the {@code ports} claim: an integer, or a string of decimal digits as telebit's own
     * {@code signToken} writes them ({@code "21700"}), 1 to 65535 either way.
     */
    private static int port(JsonNode port) throws InvalidTokenException {
        int value;
        if (port.isIntegralNumber() && port.canConvertToInt()) {
            value = port.intValue();
        } else if (port.isIntegralNumber()) {
            value = 0;
        } else if (port.isTextual() && DECIMAL_PORT.matcher(port.textValue()).matches()) {
            value = Integer.parseInt(port.textValue());
        } else {
            throw new InvalidTokenException("token claim ports holds " + shortJson(port)
                    + " (expected: integers 1 ~ 65535, or such integers as decimal strings)");
        }
        try {
            return DeviceToken.checkPort(value);
        } catch (IllegalArgumentException e) {
            throw new InvalidTokenException("token claim ports: invalid port: " + port.asText()
                    + " (expected: 1 ~ 65535)");
        }
    }

    /**
     * The device id: {@code sub}; else telebit's relay's {@code id}; if both are present they must agree. A token
     * with neither, as telebit signs for itself ({@code {domains, ports, aud, iss}}), is named after what it
     * grants: {@code telebit:} and its domains and ports, so two such tokens are one device exactly when they
     * grant the same.
     */
    private static String deviceId(JsonNode payload, List<Integer> ports, List<String> domains)
            throws InvalidTokenException {
        String sub = optionalString(payload, "sub");
        String id = optionalString(payload, "id");
        if (sub != null && id != null && !sub.equals(id)) {
            throw new InvalidTokenException("token claims sub " + DomainNames.printable(sub) + " and id "
                    + DomainNames.printable(id) + " (expected: one device, named the same in both)");
        }
        String claimed = sub != null ? sub : id;
        String claim = sub != null ? "sub" : "id";
        if (claimed == null) {
            if (ports.isEmpty() && domains.isEmpty()) {
                throw new InvalidTokenException("token has no sub or id claim and grants no port or domain to name "
                        + "the device by");
            }
            List<String> granted = new ArrayList<>();
            for (String domain : domains) {
                granted.add(DomainNames.normalizePattern(domain));
            }
            for (Integer port : new TreeSet<>(ports)) {
                granted.add(port.toString());
            }
            claimed = DERIVED_ID_PREFIX + String.join(",", granted);
            claim = "id made from its domains and ports (the token has no sub or id)";
        }
        try {
            return DeviceToken.checkDeviceId(claimed);
        } catch (IllegalArgumentException e) {
            throw new InvalidTokenException("token " + ("sub".equals(claim) || "id".equals(claim) ? "claim " : "")
                    + claim + ": " + e.getMessage());
        }
    }

    private static String optionalString(JsonNode payload, String claim) throws InvalidTokenException {
        JsonNode node = payload.get(claim);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw new InvalidTokenException("token claim " + claim + " is not a string");
        }
        return node.textValue();
    }

    private static Iterable<JsonNode> array(JsonNode payload, String claim, String expected)
            throws InvalidTokenException {
        JsonNode node = payload.get(claim);
        if (node == null) {
            return List.of();
        }
        if (!node.isArray()) {
            throw new InvalidTokenException("token claim " + claim + " is not an array (expected: " + expected
                    + ')');
        }
        return node;
    }

    private static String shortJson(JsonNode node) {
        return DomainNames.printable(node.toString());
    }
}
