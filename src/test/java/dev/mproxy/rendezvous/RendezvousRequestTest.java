package dev.mproxy.rendezvous;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mproxy.auth.DeviceToken;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Relay ids and the parameters of a relay's upgrade request (rendezvous 1.2, 1.3). */
class RendezvousRequestTest {

    private static final String EXPECTED = " (expected: 16 to 128 base64url characters: A-Z, a-z, 0-9, '-' and '_', "
            + "no padding)";

    @Test
    void idsOf16To128Base64UrlCharactersAreAccepted() {
        for (String id : List.of("a".repeat(16), "Z9-_".repeat(32), "0123456789abcdefABCDEF-_")) {
            assertEquals(id, RendezvousId.check(id));
        }
    }

    @Test
    void anythingElseIsRefusedSayingWhatWasFoundAndWhatWasExpected() {
        assertEquals("relay id is empty" + EXPECTED, refused(""));
        assertEquals("relay id is 15 characters long" + EXPECTED, refused("a".repeat(15)));
        assertEquals("relay id is 129 characters long" + EXPECTED, refused("a".repeat(129)));
        assertEquals("relay id holds '/' at index 4" + EXPECTED, refused("abcd/efghijklmnopq"));
        assertEquals("relay id holds '@' at index 0" + EXPECTED, refused("@bcdefghijklmnopq")); // MeshCentral's
        assertEquals("relay id holds U+0001 at index 16" + EXPECTED, refused("a".repeat(16) + "\u0001"));
        assertEquals("relay id holds U+00E9 at index 1" + EXPECTED, refused("a\u00e9bcdefghijklmnopq"));
    }

    @Test
    void parametersAreReadFromTheQuery() throws Exception {
        DeviceToken token = new DeviceToken("alice", List.of(), List.of(), null);
        RendezvousRequest request = RendezvousRequest.parse("/relay?id=" + "a".repeat(16) + "&browser=1&p=2&rauth=x", token);
        assertEquals("a".repeat(16), request.id());
        assertTrue(request.browser());
        assertEquals(2, request.protocol());
        assertEquals("alice", request.user());
        RendezvousRequest anonymous = RendezvousRequest.parse("/relay?id=" + "a".repeat(16), null);
        assertFalse(anonymous.authenticated());
        assertFalse(anonymous.browser());
        assertNull(anonymous.protocol());
        assertNull(anonymous.user());
    }

    @Test
    void badParametersNameTheirCode() {
        RendezvousRequest.BadRelayRequestException e = assertThrows(RendezvousRequest.BadRelayRequestException.class,
                () -> RendezvousRequest.parse("/relay?id=" + "a".repeat(16) + "&p=" + "9".repeat(50), null));
        assertEquals(RendezvousRequest.BAD_REQUEST, e.code());
        assertEquals("p parameter is a value of 50 characters (expected: a protocol number, 0 to 2147483647)",
                e.getMessage());
        assertEquals(RendezvousRequest.BAD_ID, assertThrows(RendezvousRequest.BadRelayRequestException.class,
                () -> RendezvousRequest.parse("/relay?id=a", null)).code());
    }

    private static String refused(String id) {
        return assertThrows(IllegalArgumentException.class, () -> RendezvousId.check(id)).getMessage();
    }
}
