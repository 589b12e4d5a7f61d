package dev.mproxy.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Compact JWTs built by hand from JSON text, independent of the library under test: for tokens no honest
 * signer makes (alg none, wrong key, bad claims) and to show that any HS256 implementation interoperates.
 */
final class Jwts {

    static final String HS256_HEADER = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

    /** base64url's alphabet in the order of the values its characters encode (RFC 4648 §5). */
    static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    private Jwts() {
    }

    static String b64(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    /** {@code header.payload.} signed with HMAC-SHA256 under {@code key}. */
    static String hs256(String header, String payload, byte[] key) {
        return mac("HmacSHA256", header, payload, key);
    }

    static String hs256(String payload, byte[] key) {
        return hs256(HS256_HEADER, payload, key);
    }

    /** Signed with any JCA MAC algorithm, e.g. {@code HmacSHA512} for an {@code HS512} header. */
    static String mac(String jcaAlgorithm, String header, String payload, byte[] key) {
        String signingInput = b64(header) + '.' + b64(payload);
        try {
            Mac mac = Mac.getInstance(jcaAlgorithm);
            mac.init(new SecretKeySpec(key, jcaAlgorithm));
            byte[] sig = mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII));
            return signingInput + '.' + Base64.getUrlEncoder().withoutPadding().encodeToString(sig);
        } catch (GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    /** The payload segment of a compact JWT, decoded. */
    static String payloadOf(String jwt) {
        return new String(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]), StandardCharsets.UTF_8);
    }

    static String headerOf(String jwt) {
        return new String(Base64.getUrlDecoder().decode(jwt.split("\\.")[0]), StandardCharsets.UTF_8);
    }
}
