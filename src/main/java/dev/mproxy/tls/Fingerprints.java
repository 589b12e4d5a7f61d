package dev.mproxy.tls;

import static java.util.Objects.requireNonNull;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.regex.Pattern;

/**
 * SHA-256 fingerprints of certificates: the digest of the certificate's DER encoding, written as upper-case
 * hex pairs separated by colons, as {@code openssl x509 -noout -fingerprint -sha256} prints it
 * ({@code 3F:A0:...:9C}, 95 characters). Input may be in any case, with or without the colons.
 */
public final class Fingerprints {

    /** Length of a SHA-256 digest in bytes. */
    public static final int SHA256_LENGTH = 32;

    private static final Pattern WITH_COLONS = Pattern.compile("\\p{XDigit}{2}(?::\\p{XDigit}{2}){31}");
    private static final Pattern WITHOUT_COLONS = Pattern.compile("\\p{XDigit}{64}");
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private Fingerprints() {
    }

    /** The formatted SHA-256 fingerprint of {@code certificate}, e.g. {@code 3F:A0:...:9C}. */
    public static String of(X509Certificate certificate) {
        return format(sha256(certificate));
    }

    /** The SHA-256 digest of {@code certificate}'s DER encoding (32 bytes). */
    public static byte[] sha256(X509Certificate certificate) {
        requireNonNull(certificate, "certificate");
        try {
            return MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded());
        } catch (CertificateEncodingException e) {
            throw new IllegalArgumentException("certificate cannot be DER-encoded: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** {@code digest} as upper-case hex pairs separated by colons. */
    public static String format(byte[] digest) {
        requireNonNull(digest, "digest");
        if (digest.length != SHA256_LENGTH) {
            throw new IllegalArgumentException("digest length: " + digest.length + " (expected: " + SHA256_LENGTH
                    + ')');
        }
        StringBuilder sb = new StringBuilder(SHA256_LENGTH * 3 - 1);
        for (byte b : digest) {
            if (sb.length() > 0) {
                sb.append(':');
            }
            sb.append(HEX[(b >> 4) & 0xf]).append(HEX[b & 0xf]);
        }
        return sb.toString();
    }

    /**
     * Parses a fingerprint as the user typed it: 64 hex digits in any case, either run together or as 32
     * pairs separated by colons; whitespace around it is ignored.
     *
     * @throws IllegalArgumentException if {@code fingerprint} is not such a SHA-256 fingerprint
     */
    public static byte[] parse(String fingerprint) {
        requireNonNull(fingerprint, "fingerprint");
        String s = fingerprint.strip();
        if (!WITH_COLONS.matcher(s).matches() && !WITHOUT_COLONS.matcher(s).matches()) {
            throw new IllegalArgumentException("fingerprint \"" + fingerprint + "\" is not a SHA-256 "
                    + "(expected: 64 hex digits, colons allowed)");
        }
        String hex = s.replace(":", "");
        byte[] digest = new byte[SHA256_LENGTH];
        for (int i = 0; i < digest.length; i++) {
            digest[i] = (byte) Integer.parseInt(hex, 2 * i, 2 * i + 2, 16);
        }
        return digest;
    }

    /** {@code fingerprint} in the canonical form of {@link #format}; see {@link #parse} for what is accepted. */
    public static String normalize(String fingerprint) {
        return format(parse(fingerprint));
    }

    /** Whether {@code certificate}'s SHA-256 equals {@code expected}, compared in constant time. */
    public static boolean matches(byte[] expected, X509Certificate certificate) {
        return MessageDigest.isEqual(requireNonNull(expected, "expected"), sha256(certificate));
    }
}
