package dev.mproxy.testing;

import dev.mproxy.auth.GatewaySecret;
import java.security.SecureRandom;

/** Gateway secrets for tests: a new random one each time, so no test trusts another's tokens. */
public final class TestSecrets {

    private TestSecrets() {
    }

    public static GatewaySecret random() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return GatewaySecret.of(key);
    }
}
