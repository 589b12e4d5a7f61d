package dev.mproxy.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(30)
class FingerprintsTest {

    private static final String CANONICAL =
            "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:0F:1E:2D:3C:4B:5A:69:78:87:96:A5:B4:C3:D2:E1:F0";

    @ParameterizedTest
    @ValueSource(strings = {
        CANONICAL,
        "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:0f:1e:2d:3c:4b:5a:69:78:87:96:a5:b4:c3:d2:e1:f0",
        "00112233445566778899aabbccddeeff0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        "00112233445566778899AABBCCDDEEFF0F1E2D3C4B5A69788796A5B4C3D2E1F0",
        "  00112233445566778899aabbccddeeff0f1e2d3c4b5a69788796a5b4c3d2e1f0\n"})
    void acceptsAnyCaseWithOrWithoutColons(String input) {
        assertEquals(CANONICAL, Fingerprints.normalize(input));
        assertEquals(Fingerprints.SHA256_LENGTH, Fingerprints.parse(input).length);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "xyz", "AB:CD",
        "00112233445566778899aabbccddeeff0f1e2d3c4b5a69788796a5b4c3d2e1", // 31 bytes
        "00112233445566778899aabbccddeeff0f1e2d3c4b5a69788796a5b4c3d2e1f0ff", // 33 bytes
        "00112233445566778899aabbccddeeff0f1e2d3c4b5a69788796a5b4c3d2e1g0", // not hex
        "0:011:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:0F:1E:2D:3C:4B:5A:69:78:87:96:A5:B4:C3:D2:E1:F0",
        "sha256/ABEiM0RVZneImaq7zN3u/w8eLTxLWml4h5altMPS4fA="})
    void rejectsAnythingButSha256Hex(String input) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Fingerprints.parse(input));
        assertEquals("fingerprint \"" + input + "\" is not a SHA-256 (expected: 64 hex digits, colons allowed)",
                e.getMessage());
    }

    @Test
    void formatIsUpperCaseHexPairsSeparatedByColons() {
        byte[] digest = Fingerprints.parse(CANONICAL);
        assertEquals(CANONICAL, Fingerprints.format(digest));
        assertEquals(95, Fingerprints.format(digest).length());
        assertArrayEquals(digest, Fingerprints.parse(Fingerprints.format(digest)));
    }

    @Test
    void matchesComparesTheCertificatesDigest() {
        GatewayCertificate a = SelfSignedCertificateGenerator.generate(List.of());
        GatewayCertificate b = SelfSignedCertificateGenerator.generate(List.of());
        assertTrue(Fingerprints.matches(Fingerprints.parse(a.fingerprint()), a.certificate()));
        assertFalse(Fingerprints.matches(Fingerprints.parse(a.fingerprint()), b.certificate()));
    }

    @Test
    void equalsWhatOpensslPrints(@TempDir Path dir) throws Exception {
        Openssl.assumeAvailable();
        GatewayCertificate certificate = SelfSignedCertificateGenerator.generate(List.of("gw.example.com"));
        Files.writeString(dir.resolve("cert.pem"), PemFiles.certificatesToPem(certificate.chain()),
                StandardCharsets.US_ASCII);
        String printed = Openssl.run(dir, "x509", "-in", "cert.pem", "-noout", "-fingerprint", "-sha256");
        // "sha256 Fingerprint=3F:A0:..." (OpenSSL 3) or "SHA256 Fingerprint=..." (1.1)
        assertEquals(certificate.fingerprint(), printed.substring(printed.indexOf('=') + 1).strip());
    }
}
