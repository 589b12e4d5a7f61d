package dev.mproxy.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * Fuzzes the device token verifier (control 2.5): arbitrary text, and tokens whose header and
 * payload the fuzzer writes and this target signs with the gateway's key, so the claims are reached; some are
 * then edited one character. For every input:
 * <ul>
 *   <li>the only failure is {@link InvalidTokenException}, whose message is one line of bounded length;</li>
 *   <li>an accepted token is exactly as signed: each segment strict base64url (control 2.5.1), so no edit of a
 *       signed token verifies;</li>
 *   <li>what an accepted token grants is valid: ports 1 to 65535, domains normalized, a device id of safe
 *       characters (control 2.5.2).</li>
 * </ul>
 * Input: a first byte choosing the mode, 0 = the rest is the token; 1 = the rest is {@code header NUL payload},
 * signed; 2 = as 1, then the last three bytes edit the token.
 */
class TokenFuzzTest {

    private static final byte[] KEY = "fuzz-target-key-of-thirty-two-bytes!".getBytes(StandardCharsets.US_ASCII);
    private static final TokenVerifier VERIFIER = new TokenVerifier(GatewaySecret.of(KEY),
            Clock.fixed(Instant.parse("2026-12-01T00:00:00Z"), ZoneOffset.UTC));
    private static final Pattern BASE64URL = Pattern.compile("[A-Za-z0-9_-]*");
    private static final String EDITS = "=A_-./+ \n";
    /** Longest reason accepted: reasons go into logs and error replies. */
    private static final int MAX_REASON = 600;

    @FuzzTest(maxDuration = "2m")
    void verify(byte[] input) {
        if (input.length == 0) {
            return;
        }
        int mode = input[0] & 3;
        String token;
        String signed = null;
        if (mode == 0 || mode == 3) {
            token = new String(input, 1, input.length - 1, StandardCharsets.UTF_8);
        } else {
            int end = mode == 2 ? Math.max(1, input.length - 3) : input.length;
            String text = new String(input, 1, end - 1, StandardCharsets.UTF_8);
            int nul = text.indexOf('\0');
            String header = nul < 0 ? Jwts.HS256_HEADER : text.substring(0, nul);
            String payload = nul < 0 ? text : text.substring(nul + 1);
            signed = Jwts.hs256(header, payload, KEY);
            token = mode == 2 ? edit(signed, Arrays.copyOfRange(input, end, input.length)) : signed;
        }
        DeviceToken granted;
        try {
            granted = VERIFIER.verify(token);
        } catch (InvalidTokenException e) {
            String reason = e.getMessage();
            assertTrue(reason.length() <= MAX_REASON, () -> "reason of " + reason.length() + " characters");
            assertTrue(reason.chars().noneMatch(Character::isISOControl), () -> "control character in " + reason);
            return;
        }
        String[] parts = token.split("\\.", -1);
        for (String part : parts) {
            assertTrue(BASE64URL.matcher(part).matches(), () -> "segment \"" + part + "\" accepted (control 2.5.1)");
            byte[] decoded = Base64.getUrlDecoder().decode(part);
            assertEquals(part, Base64.getUrlEncoder().withoutPadding().encodeToString(decoded),
                    "segment accepted in a non-canonical form (control 2.5.1)");
        }
        if (signed != null) {
            assertEquals(signed, token, "an edited token verified");
        }
        for (int port : granted.ports()) {
            assertTrue(port >= 1 && port <= 65535, "port " + port);
        }
        for (String domain : granted.domains()) {
            assertEquals(DomainNames.normalizePattern(domain), domain);
        }
        String id = granted.deviceId();
        assertTrue(id.codePoints().allMatch(TokenFuzzTest::safeInId), () -> "device id \"" + id + "\" (control 2.5.2)");
    }

    /** One edit of a signed token: which segment, what, and which character, from three bytes. */
    private static String edit(String token, byte[] how) {
        if (how.length < 3) {
            return token;
        }
        String[] parts = token.split("\\.", -1);
        int segment = (how[0] & 0xff) % 3;
        char c = EDITS.charAt((how[2] & 0xff) % EDITS.length());
        String part = parts[segment];
        parts[segment] = switch ((how[1] & 0xff) % 3) {
            case 0 -> part + c;
            case 1 -> part.isEmpty() ? part : part.substring(0, part.length() - 1) + c;
            default -> c + part;
        };
        return String.join(".", parts);
    }

    /** Control 2.5.2: printable ASCII, no space: no control, format, bidi or look-alike character. */
    private static boolean safeInId(int c) {
        return c > 0x20 && c < 0x7f;
    }
}
