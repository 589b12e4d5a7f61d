package dev.mproxy.testing;

import dev.mproxy.auth.GatewaySecret;
import java.security.SecureRandom;

/** Gateway secrets for tests: a new random one each time, so no test trusts another's tokens. */
public final class TestSecrets {

    private TestSecrets() {
    }

    public static GatewaySecret random() {
        return GatewaySecret.of(randomKey());
    }

    /** The bytes of a new random secret, for a test that signs tokens with another library. */
    public static byte[] randomKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return key;
    }
}
