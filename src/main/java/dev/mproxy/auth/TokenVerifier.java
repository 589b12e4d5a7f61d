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
 *   <li>{@code sub} is a valid device id, {@code ports} (if present) an array of ports 1 to 65535 and
 *       {@code domains} (if present) an array of valid names or {@code *.} wildcards
 *       ({@link DomainNames}).</li>
 * </ol>
 * Other claims ({@code aud}, {@code iss}, telebit's {@code device}, ...) are ignored.
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

    /** 9999-12-31T23:59:59Z: later "times" are refused rather than risk overflow in date arithmetic. */
    private static final long MAX_EPOCH_SECOND = 253_402_300_799L;

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final JWTVerifier verifier;
    private final Clock clock;

    /**
     * @param secret the gateway's key
     * @param clock  the time expiry is judged by
     */
    public TokenVerifier(GatewaySecret secret, Clock clock) {
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
        JsonNode header = jsonObject(parts[0], "header");
        JsonNode payload = jsonObject(parts[1], "payload");
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
        return claims(payload);
    }

    private static JsonNode jsonObject(String segment, String what) throws InvalidTokenException {
        byte[] bytes;
        try {
            bytes = Base64.getUrlDecoder().decode(segment);
        } catch (IllegalArgumentException e) {
            throw new InvalidTokenException("token " + what + " is not base64url");
        }
        JsonNode node;
        try {
            node = JSON.readTree(bytes);
        } catch (JacksonException e) {
            throw new InvalidTokenException("token " + what + " is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new InvalidTokenException("token " + what + " is not valid JSON", e);
        }
        if (node == null || !node.isObject()) {
            throw new InvalidTokenException("token " + what + " is not a JSON object");
        }
        return node;
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
        JsonNode sub = payload.get("sub");
        if (sub == null || sub.isNull()) {
            throw new InvalidTokenException("token has no sub claim");
        }
        if (!sub.isTextual()) {
            throw new InvalidTokenException("token claim sub is not a string");
        }
        List<Integer> ports = new ArrayList<>();
        for (JsonNode port : array(payload, PORTS, "port numbers")) {
            if (!port.isIntegralNumber()) {
                throw new InvalidTokenException("token claim ports holds " + shortJson(port)
                        + " (expected: integers 1 ~ 65535)");
            }
            if (!port.canConvertToInt()) {
                throw new InvalidTokenException("token claim ports: invalid port: " + port.asText()
                        + " (expected: 1 ~ 65535)");
            }
            ports.add(port.intValue());
        }
        List<String> domains = new ArrayList<>();
        for (JsonNode domain : array(payload, DOMAINS, "domain names")) {
            if (!domain.isTextual()) {
                throw new InvalidTokenException("token claim domains holds " + shortJson(domain)
                        + " (expected: strings)");
            }
            domains.add(domain.textValue());
        }
        JsonNode exp = payload.get("exp");
        Instant expiresAt = exp == null ? null : Instant.ofEpochSecond(exp.asLong());
        try {
            DeviceToken.checkDeviceId(sub.textValue());
        } catch (IllegalArgumentException e) {
            throw new InvalidTokenException("token claim sub: " + e.getMessage());
        }
        for (Integer port : ports) {
            try {
                DeviceToken.checkPort(port);
            } catch (IllegalArgumentException e) {
                throw new InvalidTokenException("token claim ports: " + e.getMessage());
            }
        }
        for (String domain : domains) {
            try {
                DomainNames.normalizePattern(domain);
            } catch (IllegalArgumentException e) {
                throw new InvalidTokenException("token claim domains: " + e.getMessage());
            }
        }
        return new DeviceToken(sub.textValue(), ports, domains, expiresAt);
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
