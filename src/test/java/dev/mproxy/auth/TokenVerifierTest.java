package dev.mproxy.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Sign → verify, and every way a token is refused, with its message. Time is a fixed clock. */
class TokenVerifierTest {

    private static final byte[] KEY = "0123456789abcdef0123456789abcdef-gateway".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] OTHER_KEY =
            "another gateway's secret, 32+ bytes long".getBytes(StandardCharsets.US_ASCII);
    private static final GatewaySecret SECRET = GatewaySecret.of(KEY);

    private static final Instant NOW = Instant.parse("2026-10-01T00:00:00Z");
    private static final long NOW_S = NOW.getEpochSecond();
    private static final Instant EXP = Instant.parse("2026-11-01T00:00:00Z");

    private static Clock at(Instant instant) {
        return Clock.fixed(instant, ZoneOffset.UTC);
    }

    private static TokenVerifier verifier() {
        return new TokenVerifier(SECRET, at(NOW));
    }

    private static String refusal(TokenVerifier verifier, String jwt) {
        InvalidTokenException e = assertThrows(InvalidTokenException.class, () -> verifier.verify(jwt), jwt);
        assertEquals("E_INVALID_TOKEN", e.code());
        assertEquals(1, e.getMessage().lines().count(), "one line: " + e.getMessage());
        return e.getMessage();
    }

    private static String refusal(String jwt) {
        return refusal(verifier(), jwt);
    }

    /** A correctly signed token with these claims (JSON members, no braces). */
    private static String signed(String claims) {
        return Jwts.hs256('{' + claims + '}', KEY);
    }

    @Test
    void paddedOrNonBase64UrlPartIsRefused() throws InvalidTokenException {
        // limits 4.2 (issue 13): the same signature with "=" appended was accepted
        String jwt = new TokenSigner(SECRET, at(NOW)).sign(new DeviceToken("pi", List.of(2222), List.of(), EXP));
        verifier().verify(jwt);
        assertEquals("token signature holds a character outside base64url (expected: A-Z a-z 0-9 - _ and no padding)",
                refusal(jwt + "="));
        assertEquals("token header holds a character outside base64url (expected: A-Z a-z 0-9 - _ and no padding)",
                refusal("+" + jwt));
    }

    @Test
    void signedTokenVerifiesToTheSameGrant() throws InvalidTokenException {
        DeviceToken grant = new DeviceToken("pi-1", List.of(2222, 443), List.of("Pi.Example.com", "*.pi.example.com"),
                EXP);
        String jwt = new TokenSigner(SECRET, at(NOW)).sign(grant);
        assertEquals(grant, verifier().verify(jwt));
    }

    @Test
    void tokenWithoutExpiryNeverExpires() throws InvalidTokenException {
        DeviceToken grant = new DeviceToken("pi-1", List.of(22), List.of(), null);
        String jwt = new TokenSigner(SECRET, at(NOW)).sign(grant);
        assertFalse(Jwts.payloadOf(jwt).contains("exp"), Jwts.payloadOf(jwt));
        DeviceToken verified = new TokenVerifier(SECRET, at(Instant.parse("2099-01-01T00:00:00Z"))).verify(jwt);
        assertEquals(Optional.empty(), verified.expiresAt());
        assertEquals(List.of(), verified.domains());
    }

    @Test
    void signedTokenHasTheDocumentedShape() {
        String jwt = new TokenSigner(SECRET, at(NOW)).sign(
                new DeviceToken("pi-1", List.of(22), List.of("example.com"), EXP));
        assertEquals("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", Jwts.headerOf(jwt));
        String payload = Jwts.payloadOf(jwt);
        for (String member : new String[] {"\"sub\":\"pi-1\"", "\"id\":\"pi-1\"", "\"ports\":[22]",
            "\"domains\":[\"example.com\"]", "\"iat\":" + NOW_S, "\"exp\":" + EXP.getEpochSecond()}) {
            assertTrue(payload.contains(member), payload + " should hold " + member);
        }
        assertEquals(jwt, Jwts.hs256(Jwts.headerOf(jwt), payload, KEY), "plain HMAC-SHA256 over the segments");
    }

    @Test
    void signedTokenHasTheClaimsTelebitsRelayNeedsEvenWhenItGrantsNoDomain() {
        // the relay keys devices by id and calls domains.forEach (control 2.5)
        String payload = Jwts.payloadOf(new TokenSigner(SECRET, at(NOW)).sign(
                new DeviceToken("pi-1", List.of(22), List.of(), null)));
        assertTrue(payload.contains("\"id\":\"pi-1\""), payload);
        assertTrue(payload.contains("\"domains\":[]"), payload);
    }

    @Test
    void tokenFromAnyHs256SignerVerifies() throws InvalidTokenException {
        // As node's jsonwebtoken signs, telebit-style extra claims included.
        String jwt = signed("\"sub\":\"dev\",\"ports\":[80],\"domains\":[\"A.example.com\"],\"aud\":\"wss://gw\","
                + "\"device\":{\"hostname\":\"pi\"},\"iat\":" + NOW_S);
        DeviceToken t = verifier().verify(jwt);
        assertEquals(new DeviceToken("dev", List.of(80), List.of("a.example.com"), null), t);
    }

    @Test
    void expiredTokenIsRefusedWithItsExpiry() {
        String jwt = signed("\"sub\":\"d\",\"exp\":" + EXP.getEpochSecond());
        String message = refusal(new TokenVerifier(SECRET, at(EXP.plusSeconds(31))), jwt);
        assertEquals("token expired at 2026-11-01T00:00:00Z (gateway time 2026-11-01T00:00:31Z; clock skew "
                + "allowed: 30 s)", message);
    }

    @Test
    void thirtySecondsOfClockSkewAreTolerated() throws InvalidTokenException {
        assertEquals(30, TokenVerifier.CLOCK_SKEW.toSeconds());
        String expiring = signed("\"sub\":\"d\",\"exp\":" + NOW_S);
        new TokenVerifier(SECRET, at(NOW.plusSeconds(29))).verify(expiring);
        String early = signed("\"sub\":\"d\",\"nbf\":" + (NOW_S + 30) + ",\"iat\":" + (NOW_S + 30));
        verifier().verify(early);
    }

    @Test
    void tokenUsedBeforeNbfIsRefused() {
        String jwt = signed("\"sub\":\"d\",\"nbf\":" + (NOW_S + 31));
        assertEquals("token is not valid before 2026-10-01T00:00:31Z (gateway time 2026-10-01T00:00:00Z; clock "
                + "skew allowed: 30 s)", refusal(jwt));
    }

    @Test
    void tokenIssuedInTheFutureIsRefused() {
        String jwt = signed("\"sub\":\"d\",\"iat\":" + (NOW_S + 3600));
        assertTrue(refusal(jwt).startsWith("token was issued at 2026-10-01T01:00:00Z, in the future (gateway "
                + "time"), refusal(jwt));
    }

    @Test
    void tokenSignedWithAnotherKeyIsRefused() {
        String jwt = Jwts.hs256("{\"sub\":\"d\"}", OTHER_KEY);
        assertEquals("token signature does not verify with this gateway's secret", refusal(jwt));
    }

    @Test
    void tamperedPayloadIsRefused() {
        String jwt = signed("\"sub\":\"d\",\"ports\":[22]");
        String[] parts = jwt.split("\\.");
        String forged = parts[0] + '.' + Jwts.b64("{\"sub\":\"d\",\"ports\":[22,25]}") + '.' + parts[2];
        assertEquals("token signature does not verify with this gateway's secret", refusal(forged));
    }

    @Test
    void algNoneIsRefusedWithOrWithoutSignature() {
        String unsigned = Jwts.b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + '.' + Jwts.b64("{\"sub\":\"d\"}") + '.';
        assertEquals("token algorithm none is not accepted (expected: HS256)", refusal(unsigned));
        String[] valid = signed("\"sub\":\"d\"").split("\\.");
        String withSignature = Jwts.b64("{\"alg\":\"none\"}") + '.' + valid[1] + '.' + valid[2];
        assertEquals("token algorithm none is not accepted (expected: HS256)", refusal(withSignature));
        String shouting = Jwts.b64("{\"alg\":\"NONE\"}") + '.' + valid[1] + '.';
        assertEquals("token algorithm NONE is not accepted (expected: HS256)", refusal(shouting));
    }

    @Test
    void otherAlgorithmsAreRefusedEvenWhenCorrectlySignedWithTheSecret() {
        String hs512 = Jwts.mac("HmacSHA512", "{\"alg\":\"HS512\"}", "{\"sub\":\"d\"}", KEY);
        assertEquals("token algorithm HS512 is not accepted (expected: HS256)", refusal(hs512));
        // Algorithm confusion: an RS256 header over an HMAC made with the secret as if it were a public key.
        String rs256 = Jwts.hs256("{\"alg\":\"RS256\"}", "{\"sub\":\"d\"}", KEY);
        assertEquals("token algorithm RS256 is not accepted (expected: HS256)", refusal(rs256));
    }

    @Test
    void headerWithoutAlgOrWithCritIsRefused() {
        assertEquals("token header has no alg (expected: HS256)", refusal(Jwts.hs256("{}", "{\"sub\":\"d\"}", KEY)));
        assertEquals("token header alg is not a string (expected: HS256)",
                refusal(Jwts.hs256("{\"alg\":256}", "{\"sub\":\"d\"}", KEY)));
        String crit = Jwts.hs256("{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", "{\"sub\":\"d\"}", KEY);
        assertTrue(refusal(crit).startsWith("token header has crit"), refusal(crit));
    }

    @Test
    void deviceIdIsSubElseTheRelaysIdAndTheyMustAgree() throws InvalidTokenException {
        // control 2.5
        assertEquals("pi", verifier().verify(signed("\"sub\":\"pi\",\"ports\":[22]")).deviceId());
        assertEquals("pi", verifier().verify(signed("\"id\":\"pi\",\"ports\":[22]")).deviceId());
        assertEquals("pi", verifier().verify(signed("\"sub\":\"pi\",\"id\":\"pi\"")).deviceId());
        assertEquals("token claims sub pi and id other (expected: one device, named the same in both)",
                refusal(signed("\"sub\":\"pi\",\"id\":\"other\"")));
        assertEquals("token claim sub is not a string", refusal(signed("\"sub\":7")));
        assertEquals("token claim id is not a string", refusal(signed("\"id\":{\"a\":1}")));
        assertEquals("token claim sub: device id is empty", refusal(signed("\"sub\":\"\"")));
    }

    @Test
    void tokenTelebitSignsForItselfIsNamedAfterWhatItGrants() throws InvalidTokenException {
        // telebit's lib/cli-common.js signToken: no sub, string ports, the relay URL as aud, seconds as iss
        DeviceToken t = verifier().verify(signed("\"domains\":[\"App.example.com\",\"*.app.example.com\"],"
                + "\"ports\":[\"21700\",\"2222\"],\"aud\":\"https://relay.example.com/\",\"iss\":" + NOW_S
                + ",\"iat\":" + NOW_S));
        assertEquals("telebit:app.example.com,*.app.example.com,2222,21700", t.deviceId());
        assertEquals(List.of(2222, 21700), List.copyOf(t.ports()));
        assertEquals(List.of("app.example.com", "*.app.example.com"), t.domains());
    }

    @Test
    void tokenWithoutSubOrIdThatGrantsNothingIsRefused() {
        assertEquals("token has no sub or id claim and grants no port or domain to name the device by",
                refusal(signed("\"sub\":null")));
        assertEquals("token has no sub or id claim and grants no port or domain to name the device by",
                refusal(signed("\"domains\":[],\"ports\":[]")));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "[0]         | token claim ports: invalid port: 0 (expected: 1 ~ 65535)",
        "[70000]     | token claim ports: invalid port: 70000 (expected: 1 ~ 65535)",
        "[-1]        | token claim ports: invalid port: -1 (expected: 1 ~ 65535)",
        "[99999999999] | token claim ports: invalid port: 99999999999 (expected: 1 ~ 65535)",
        "[\"080\"]   | token claim ports holds \"080\" (expected: integers 1 ~ 65535, or such integers as decimal strings)",
        "[\"8 0\"]   | token claim ports holds \"8 0\" (expected: integers 1 ~ 65535, or such integers as decimal strings)",
        "[\"70000\"] | token claim ports: invalid port: 70000 (expected: 1 ~ 65535)",
        "[80.5]      | token claim ports holds 80.5 (expected: integers 1 ~ 65535, or such integers as decimal strings)",
        "80          | token claim ports is not an array (expected: port numbers)",
        "null        | token claim ports is not an array (expected: port numbers)",
    })
    void badPortsAreRefused(String ports, String message) {
        assertEquals(message, refusal(signed("\"sub\":\"d\",\"ports\":" + ports)));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "[\"-a.com\"]  | token claim domains: invalid domain -a.com: label '-a' starts or ends with a hyphen",
        "[\"a..b\"]    | token claim domains: invalid domain a..b: it has an empty label",
        "[\"a.*.b\"]   | token claim domains: invalid domain a.*.b: '*' is allowed only as the whole first label, "
            + "as in *.example.com",
        "[5]           | token claim domains holds 5 (expected: strings)",
        "\"a.com\"     | token claim domains is not an array (expected: domain names)",
    })
    void badDomainsAreRefused(String domains, String message) {
        assertEquals(message, refusal(signed("\"sub\":\"d\",\"domains\":" + domains)));
    }

    @Test
    void tooLongDomainIsRefused() {
        String name = ("a".repeat(63) + '.').repeat(4).substring(0, 254);
        String message = refusal(signed("\"sub\":\"d\",\"domains\":[\"" + name + "\"]"));
        assertTrue(message.endsWith("it is 254 characters long (expected: at most 253)"), message);
    }

    @Test
    void verifiedDomainsAreLowercased() throws InvalidTokenException {
        DeviceToken t = verifier().verify(signed("\"sub\":\"d\",\"domains\":[\"*.Pi.EXAMPLE.com\"]"));
        assertEquals(List.of("*.pi.example.com"), t.domains());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "\"soon\"      | token claim exp is not a time (expected: seconds since 1970-01-01T00:00:00Z)",
        "-5            | token claim exp is not a time (expected: seconds since 1970-01-01T00:00:00Z)",
        "1e300         | token claim exp is not a time (expected: seconds since 1970-01-01T00:00:00Z)",
        "99999999999999| token claim exp is not a time (expected: seconds since 1970-01-01T00:00:00Z)",
    })
    void timeClaimsMustBeTimes(String exp, String message) {
        assertEquals(message, refusal(signed("\"sub\":\"d\",\"exp\":" + exp)));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"abc", "a.b", "a.b.c.d", "..", "x..y"})
    void notThreePartsOrEmptySegmentsAreRefused(String jwt) {
        String message = refusal(jwt);
        assertTrue(message.startsWith("token is not a JWT") || message.startsWith("token header is not"), message);
    }

    @Test
    void malformedSegmentsAreRefused() {
        String payload = Jwts.b64("{\"sub\":\"d\"}");
        assertEquals("token is not a JWT: it has 2 dot-separated part(s) (expected: 3)", refusal("a.b"));
        assertEquals("token header holds a character outside base64url (expected: A-Z a-z 0-9 - _ and no padding)",
                refusal("e+/=." + payload + ".sig"));
        assertEquals("token header is not base64url", refusal("e." + payload + ".sig"));
        assertTrue(refusal(Jwts.b64("not json") + '.' + payload + ".sig").startsWith("token header is not valid "
                + "JSON"));
        assertEquals("token header is not a JSON object", refusal(Jwts.b64("[1]") + '.' + payload + ".sig"));
        assertEquals("token payload is not a JSON object",
                refusal(Jwts.b64(Jwts.HS256_HEADER) + '.' + Jwts.b64("\"d\"") + ".sig"));
        String trailing = Jwts.b64(Jwts.HS256_HEADER) + '.' + Jwts.b64("{\"sub\":\"d\"} {}") + ".sig";
        assertTrue(refusal(trailing).startsWith("token payload is not valid JSON"), refusal(trailing));
    }

    @Test
    void duplicateClaimsAreRefusedSoNoTwoParsersCanDisagree() {
        String jwt = signed("\"sub\":\"d\",\"exp\":1,\"exp\":" + EXP.getEpochSecond());
        String message = refusal(jwt);
        assertTrue(message.startsWith("token payload is not valid JSON: Duplicate field 'exp'"), message);
    }

    @Test
    void emptyAndOverlongTokensAreRefused() {
        assertEquals("token is empty", refusal(""));
        assertEquals("token is empty", refusal(null));
        String huge = signed("\"sub\":\"" + "x".repeat(9000) + "\"");
        assertTrue(refusal(huge).matches("token is \\d+ characters long \\(expected: at most 8192\\)"),
                refusal(huge));
    }

    @Test
    void unprintableAlgIsEscapedInTheMessage() {
        String jwt = Jwts.hs256("{\"alg\":\"HS256\\n\"}", "{\"sub\":\"d\"}", KEY);
        assertEquals("token algorithm HS256\\u000a is not accepted (expected: HS256)", refusal(jwt));
    }
}
