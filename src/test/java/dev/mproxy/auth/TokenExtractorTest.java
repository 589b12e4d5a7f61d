package dev.mproxy.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Where a token is found in an upgrade request: Bearer, then Basic's password, then {@code ?access_token=}. */
class TokenExtractorTest {

    private static final String TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkIn0.c2ln";

    private static HttpHeaders authorization(String... values) {
        HttpHeaders headers = new DefaultHttpHeaders();
        for (String value : values) {
            headers.add(HttpHeaderNames.AUTHORIZATION, value);
        }
        return headers;
    }

    private static String basic(String userPass) {
        return "Basic " + Base64.getEncoder().encodeToString(userPass.getBytes(StandardCharsets.UTF_8));
    }

    private static Optional<String> extract(HttpHeaders headers, String uri) throws InvalidTokenException {
        return TokenExtractor.fromRequest(headers, uri);
    }

    private static String refusal(HttpHeaders headers, String uri) {
        InvalidTokenException e = assertThrows(InvalidTokenException.class, () -> extract(headers, uri));
        assertEquals(InvalidTokenException.CODE, e.code());
        return e.getMessage();
    }

    @Test
    void bearerToken() throws InvalidTokenException {
        assertEquals(Optional.of(TOKEN), extract(authorization("Bearer " + TOKEN), "/"));
        assertEquals(Optional.of(TOKEN), extract(authorization("bearer   " + TOKEN + " "), "/"),
                "scheme case-insensitive (RFC 7235), surrounding spaces ignored");
    }

    @Test
    void basicPasswordIsTheToken() throws InvalidTokenException {
        assertEquals(Optional.of(TOKEN), extract(authorization(basic("telebit:" + TOKEN)), "/"));
        assertEquals(Optional.of(TOKEN), extract(authorization(basic(":" + TOKEN)), "/"), "empty user");
        assertEquals(Optional.of("tok:en"), extract(authorization(basic("user:tok:en")), "/"),
                "split at the first colon (RFC 7617: a user-id holds no colon)");
    }

    @Test
    void queryParameter() throws InvalidTokenException {
        assertEquals(Optional.of(TOKEN), extract(authorization(), "/?access_token=" + TOKEN));
        assertEquals(Optional.of(TOKEN), extract(authorization(), "/ws?versions=v1&access_token=" + TOKEN),
                "telebit's Go client adds versions=v1");
        assertEquals(Optional.of(TOKEN), extract(authorization(), "/?access_token=" + TOKEN.replace(".", "%2E")),
                "percent-decoded");
    }

    @Test
    void noTokenAnywhereIsEmptyForInBandAuthentication() throws InvalidTokenException {
        assertEquals(Optional.empty(), extract(authorization(), "/"));
        assertEquals(Optional.empty(), extract(authorization(), "/?versions=v1"));
    }

    @Test
    void headerTakesPrecedenceOverQuery() throws InvalidTokenException {
        assertEquals(Optional.of("from-bearer"), extract(authorization("Bearer from-bearer"), "/?access_token=q"));
        assertEquals(Optional.of("from-basic"), extract(authorization(basic("u:from-basic")), "/?access_token=q"));
    }

    @Test
    void malformedHeaderIsRefusedEvenWithAQueryToken() {
        assertEquals("Authorization: Basic value is not base64",
                refusal(authorization("Basic !!not-base64!!"), "/?access_token=" + TOKEN));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "Bearer               | Authorization: Bearer value is empty",
        "Bearer a b           | Authorization: Bearer value holds whitespace or a control character",
        "Basic                | Authorization: Basic value is empty",
        "Basic %%%            | Authorization: Basic value is not base64",
        "Basic dXNlcg==       | Authorization: Basic value has no ':' (expected: base64 of user:token)",
        "Basic dXNlcjo=       | Authorization: Basic password is empty",
        "Basic /w==           | Authorization: Basic value is not UTF-8 text",
        "Digest username=x    | Authorization scheme Digest is not supported (expected: Bearer or Basic)",
        "eyJhbGciOi.x.y       | Authorization scheme eyJhbGciOi.x.y is not supported (expected: Bearer or Basic)",
    })
    void malformedAuthorizationIsRefusedWithTheReason(String header, String message) {
        assertEquals(message, refusal(authorization(header), "/"));
    }

    @Test
    void twoAuthorizationHeadersAreRefused() {
        assertEquals("request has 2 Authorization headers (expected: one)",
                refusal(authorization("Bearer a", "Bearer b"), "/"));
    }

    @Test
    void malformedQueryIsRefused() {
        assertEquals("access_token parameter is empty", refusal(authorization(), "/?access_token="));
        assertEquals("request URI has 2 access_token parameters (expected: one)",
                refusal(authorization(), "/?access_token=a&access_token=b"));
        assertEquals("access_token parameter holds whitespace or a control character",
                refusal(authorization(), "/?access_token=a+b"));
        String message = refusal(authorization(), "/?access_token=%zz");
        assertTrue(message.startsWith("request URI is malformed: "), message);
    }
}
