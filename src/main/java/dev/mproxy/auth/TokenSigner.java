package dev.mproxy.auth;

import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTCreator;
import com.auth0.jwt.algorithms.Algorithm;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;

/**
 * Signs device tokens: HS256 JWTs with header {@code {"alg":"HS256","typ":"JWT"}} and claims {@code sub},
 * {@code ports}, {@code domains}, {@code iat} and, unless the token never expires, {@code exp}. Empty
 * {@code ports} or {@code domains} are left out, which {@link TokenVerifier} reads as empty. Thread-safe.
 */
public final class TokenSigner {

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
                .withIssuedAt(clock.instant().truncatedTo(ChronoUnit.SECONDS));
        if (!token.ports().isEmpty()) {
            jwt.withClaim(TokenVerifier.PORTS, new ArrayList<>(token.ports()));
        }
        if (!token.domains().isEmpty()) {
            jwt.withClaim(TokenVerifier.DOMAINS, token.domains());
        }
        token.expiresAt().ifPresent(jwt::withExpiresAt);
        return jwt.sign(algorithm);
    }
}
