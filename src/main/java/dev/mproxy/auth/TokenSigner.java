package dev.mproxy.auth;

import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTCreator;
import com.auth0.jwt.algorithms.Algorithm;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;

/**
 * Signs device tokens: HS256 JWTs with header {@code {"alg":"HS256","typ":"JWT"}} and claims {@code sub},
 * {@code id} (the same device id), {@code domains}, {@code ports} (left out when empty), {@code iat}, {@code jti} (random, for revocation) and, unless
 * the token never expires, {@code exp}. The shape is the one telebit's relay reads too: its authenticator keys
 * devices by {@code id} and calls {@code domains.forEach}, so both are always there (protocol-spec/control.md
 * 2.5). Thread-safe.
 */
public final class TokenSigner {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Algorithm algorithm;
    private final Clock clock;

    /**
     * @param secret the gateway's key
     * @param clock  gives {@code iat}
     */
    public TokenSigner(GatewaySecret secret, Clock clock) {
        this.algorithm = Algorithm.HMAC256(secret.key());
        this.clock = clock;
    }

    /** The compact JWT ({@code header.payload.signature}) for {@code token}. */
    public String sign(DeviceToken token) {
        JWTCreator.Builder jwt = JWT.create()
                .withSubject(token.deviceId())
                .withClaim(TokenVerifier.ID, token.deviceId())
                .withIssuedAt(clock.instant().truncatedTo(ChronoUnit.SECONDS))
                .withJWTId(newTokenId())
                .withClaim(TokenVerifier.DOMAINS, token.domains());
        if (!token.ports().isEmpty()) {
            jwt.withClaim(TokenVerifier.PORTS, new ArrayList<>(token.ports()));
        }
        token.expiresAt().ifPresent(jwt::withExpiresAt);
        return jwt.sign(algorithm);
    }

    /** A {@code jti}: 128 random bits, URL-safe base64, so a token can be revoked on its own. */
    static String newTokenId() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
