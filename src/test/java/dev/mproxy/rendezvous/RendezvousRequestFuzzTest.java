package dev.mproxy.rendezvous;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mproxy.auth.DeviceToken;
import dev.mproxy.auth.InvalidTokenException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * Fuzzes the rendezvous relay's reading of an upgrade request's target (rendezvous 1.2-1.4):
 * {@link RendezvousRequest#token} and {@link RendezvousRequest#parse}, with and without a token, with and
 * without guessable ids. For every request-target:
 * <ul>
 *   <li>the only failures are {@link RendezvousRequest.BadRelayRequestException} (status 400 or 401) and
 *       {@link InvalidTokenException}, with one-line reasons of bounded length;</li>
 *   <li>an accepted id is one the gateway accepts ({@link RendezvousId#checkAtGateway}), and unguessable unless
 *       the peer has a token or guessable ids are allowed (rendezvous 1.2).</li>
 * </ul>
 */
class RendezvousRequestFuzzTest {

    private static final DeviceToken TOKEN = new DeviceToken("user", List.of(), List.of(), null);
    private static final int MAX_REASON = 600;

    @FuzzTest(maxDuration = "2m")
    void parse(byte[] input) {
        String uri = new String(input, StandardCharsets.UTF_8);
        try {
            RendezvousRequest.token(uri, Optional.empty());
        } catch (InvalidTokenException e) {
            assertReason(e.getMessage());
        }
        for (DeviceToken token : new DeviceToken[] {null, TOKEN}) {
            for (boolean guessable : new boolean[] {false, true}) {
                RendezvousRequest request;
                try {
                    request = RendezvousRequest.parse(uri, token, guessable);
                } catch (RendezvousRequest.BadRelayRequestException e) {
                    assertTrue(e.status() == 400 || e.status() == 401, "status " + e.status());
                    assertReason(e.getMessage());
                    continue;
                }
                assertEquals(request.id(), RendezvousId.checkAtGateway(request.id()));
                assertTrue(token != null || guessable || RendezvousId.isUnguessable(request.id()),
                        () -> "guessable id " + request.id() + " accepted without a token (rendezvous 1.2)");
                assertReason(request.toString());
            }
        }
    }

    private static void assertReason(String reason) {
        assertTrue(reason.length() <= MAX_REASON, () -> "reason of " + reason.length() + " characters");
        assertTrue(reason.chars().noneMatch(Character::isISOControl), () -> "control character in " + reason);
    }
}
