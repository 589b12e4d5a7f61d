package dev.mproxy.rendezvous;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mproxy.auth.DeviceToken;
import dev.mproxy.auth.InvalidTokenException;
import java.util.List;
import java.util.Optional;
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
    void theGatewayAlsoAcceptsMeshCentralsIdsWhichAreNotUnguessable() {
        // rendezvous 1.2: its web UI's Math.random().toString(36), its server's base64 with @ and $, its messenger's
        for (String id : List.of("k3j9x0q2mz", "4fzyo82mvyr", "Ab@d$fGh1jKl", "meshmessenger/node//Ab@$/user//admin",
                "x", "!~".repeat(128))) {
            assertEquals(id, RendezvousId.checkAtGateway(id));
            assertFalse(RendezvousId.isUnguessable(id), id);
        }
        assertTrue(RendezvousId.isUnguessable("a".repeat(16)));
        assertTrue(RendezvousId.isUnguessable("Z9-_".repeat(32)));
        assertFalse(RendezvousId.isUnguessable("Z9-_".repeat(32) + "a"));
        String expected = " (expected: 16 to 128 base64url characters, or with a token 1 to 256 printable ASCII "
                + "characters, as MeshCentral's ids)";
        assertEquals("relay id is empty" + expected, refusedAtGateway(""));
        assertEquals("relay id is 257 characters long" + expected, refusedAtGateway("a".repeat(257)));
        assertEquals("relay id holds U+0020 at index 3" + expected, refusedAtGateway("abc def"));
        assertEquals("relay id holds U+007F at index 0" + expected, refusedAtGateway("\u007fabc"));
        assertEquals("relay id holds U+00E9 at index 1" + expected, refusedAtGateway("a\u00e9b"));
    }

    /**
     * A malformed request's reason does not quote it (rendezvous 1.2). Found by RendezvousRequestFuzzTest (seed
     * finding-malformed-uri-echoed): Netty's message quoted the whole URI, control characters and all.
     */
    @Test
    void aMalformedUriIsRefusedWithoutQuotingIt() {
        RendezvousRequest.BadRelayRequestException e = assertThrows(RendezvousRequest.BadRelayRequestException.class,
                () -> RendezvousRequest.parse("/relay?id=abc&%la\u0007y=%=x", null));
        assertEquals(RendezvousRequest.BAD_REQUEST, e.code());
        assertEquals("request URI is malformed (expected: each '%' followed by two hex digits of UTF-8)",
                e.getMessage());
    }

    @Test
    void anIdInMeshCentralsShapeNeedsATokenUnlessTheOperatorOpensIt() throws Exception {
        // rendezvous 1.2
        DeviceToken token = new DeviceToken("alice", List.of(), List.of(), null);
        assertEquals("k3j9x0q2mz", RendezvousRequest.parse("/meshrelay.ashx?browser=1&p=1&id=k3j9x0q2mz", token)
                .id());
        assertEquals("Ab@d$fGh1jKl", RendezvousRequest.parse("/relay?id=Ab@d$fGh1jKl", token).id());
        RendezvousRequest.BadRelayRequestException e = assertThrows(RendezvousRequest.BadRelayRequestException.class,
                () -> RendezvousRequest.parse("/relay?id=k3j9x0q2mz", null));
        assertEquals(RendezvousRequest.TOKEN_REQUIRED, e.code());
        assertEquals(401, e.status());
        assertEquals("relay id 'k3j9x0q2mz' is not 16 to 128 base64url characters, so it could be guessed "
                + "(expected: a token with it, or an id of that shape)", e.getMessage());
        assertFalse(RendezvousRequest.parse("/relay?id=k3j9x0q2mz", null, true).authenticated());
        // an unguessable id needs no token, whatever the option
        assertFalse(RendezvousRequest.parse("/relay?id=" + "a".repeat(16), null, false).authenticated());
    }

    @Test
    void meshCentralsAuthParameterCarriesTheTokenOnTheRelay() throws Exception {
        // rendezvous 1.4
        assertEquals(Optional.of("j.w.t"), RendezvousRequest.token("/meshrelay.ashx?id=x&auth=j.w.t", Optional.empty()));
        assertEquals(Optional.of("h.d.r"), RendezvousRequest.token("/relay?id=x", Optional.of("h.d.r")));
        assertEquals(Optional.empty(), RendezvousRequest.token("/relay?id=x", Optional.empty()));
        assertEquals("request carries a token in its auth parameter and another one (expected: one token)",
                assertThrows(InvalidTokenException.class,
                        () -> RendezvousRequest.token("/relay?id=x&auth=a.b.c", Optional.of("h.d.r"))).getMessage());
        assertEquals("request URI has 2 auth parameters (expected: one)", assertThrows(InvalidTokenException.class,
                () -> RendezvousRequest.token("/relay?auth=a&auth=b", Optional.empty())).getMessage());
        assertEquals("auth parameter is empty", assertThrows(InvalidTokenException.class,
                () -> RendezvousRequest.token("/relay?auth=", Optional.empty())).getMessage());
    }

    @Test
    void theRelayAnswersAtItsPathAndAtMeshCentrals() {
        // rendezvous 1.1
        assertTrue(RendezvousRequest.isRelayPath("/relay"));
        assertTrue(RendezvousRequest.isRelayPath("/meshrelay.ashx"));
        assertFalse(RendezvousRequest.isRelayPath("/domain/meshrelay.ashx"));
        assertFalse(RendezvousRequest.isRelayPath("/"));
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
                () -> RendezvousRequest.parse("/relay?id=a%20b", null)).code());
    }

    private static String refusedAtGateway(String id) {
        return assertThrows(IllegalArgumentException.class, () -> RendezvousId.checkAtGateway(id)).getMessage();
    }

    private static String refused(String id) {
        return assertThrows(IllegalArgumentException.class, () -> RendezvousId.check(id)).getMessage();
    }
}
