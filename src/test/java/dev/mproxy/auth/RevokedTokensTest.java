package dev.mproxy.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mproxy.testing.TestSecrets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Revocation by jti and by device, as protocol-spec/admin.md §5 has it, and its file. */
class RevokedTokensTest {

    private static final Instant NOW = Instant.parse("2026-12-03T06:00:00Z");

    @TempDir
    Path dataDir;

    private final GatewaySecret secret = TestSecrets.random();

    // admin 5.1: minted tokens carry a jti and an iat, which the verifier keeps
    @Test
    void mintedTokensCarryAJtiAndAnIat() throws Exception {
        String jwt = new TokenSigner(secret, Clock.fixed(NOW, ZoneOffset.UTC)).sign(
                new DeviceToken("pi", List.of(2222), List.of(), null));
        DeviceToken verified = new TokenVerifier(secret, Clock.fixed(NOW, ZoneOffset.UTC)).verify(jwt);
        assertTrue(verified.tokenId().orElseThrow().matches("[A-Za-z0-9_-]{22}"), verified.tokenId().toString());
        assertEquals(NOW, verified.issuedAt().orElseThrow());
    }

    // admin 5.2, 5.3
    @Test
    void aRevokedJtiOrADevicesEarlierTokensAreRefusedAlsoAfterALoad() throws Exception {
        RevokedTokens revoked = RevokedTokens.load(dataDir);
        TokenSigner signer = new TokenSigner(secret, Clock.fixed(NOW, ZoneOffset.UTC));
        TokenVerifier verifier = new TokenVerifier(secret, Clock.fixed(NOW, ZoneOffset.UTC), revoked);
        String first = signer.sign(new DeviceToken("pi", List.of(2222), List.of(), null));
        String second = signer.sign(new DeviceToken("pi", List.of(2222), List.of(), null));
        String jti = verifier.verify(first).tokenId().orElseThrow();

        assertTrue(revoked.revokeToken(jti, NOW));
        assertFalse(revoked.revokeToken(jti, NOW), "revoking twice changes nothing");
        InvalidTokenException e = assertThrows(InvalidTokenException.class, () -> verifier.verify(first));
        assertTrue(e.isRevoked());
        assertTrue(e.getMessage().contains(jti), e.getMessage());
        verifier.verify(second); // only that token

        revoked.revokeDevice("pi", NOW);
        assertTrue(assertThrows(InvalidTokenException.class, () -> verifier.verify(second)).isRevoked());
        String later = new TokenSigner(secret, Clock.fixed(NOW.plus(Duration.ofSeconds(1)), ZoneOffset.UTC))
                .sign(new DeviceToken("pi", List.of(2222), List.of(), null));
        verifier.verify(later); // minted after the revocation: good

        TokenVerifier reloaded = new TokenVerifier(secret, Clock.fixed(NOW, ZoneOffset.UTC),
                RevokedTokens.load(dataDir));
        assertTrue(assertThrows(InvalidTokenException.class, () -> reloaded.verify(first)).isRevoked());
        assertTrue(assertThrows(InvalidTokenException.class, () -> reloaded.verify(second)).isRevoked());
        reloaded.verify(later);
    }

    @Test
    void aFileThatIsNotOursIsNamedWithWhatWasExpected() throws Exception {
        Files.writeString(dataDir.resolve(RevokedTokens.FILE_NAME), "{\"tokens\": [{\"jti\": 5}]}");
        IOException e = assertThrows(IOException.class, () -> RevokedTokens.load(dataDir));
        assertTrue(e.getMessage().startsWith(dataDir.resolve(RevokedTokens.FILE_NAME).toString()), e.getMessage());
        assertTrue(e.getMessage().contains("expected: the JSON this gateway writes"), e.getMessage());
    }
}
