package dev.mproxy.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.AlgorithmParameters;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(30)
class SelfSignedCertificateGeneratorTest {

    @Test
    void namesAreTheHostnamesThenLocalhostAndLoopback() {
        GatewayCertificate c = SelfSignedCertificateGenerator.generate(
                List.of("GW.Example.com.", "*.tunnel.example.com", "203.0.113.7", "[2001:db8::1]", "::1"));
        assertEquals(List.of("gw.example.com", "*.tunnel.example.com", "203.0.113.7", "2001:db8:0:0:0:0:0:1",
                "0:0:0:0:0:0:0:1", "localhost", "127.0.0.1"), c.subjectAlternativeNames());
        assertEquals("CN=gw.example.com", c.certificate().getSubjectX500Principal().getName());
    }

    @Test
    void withoutHostnamesNamesLocalhostAndLoopbackOnce() {
        GatewayCertificate c = SelfSignedCertificateGenerator.generate(List.of("localhost", "127.0.0.1"));
        assertEquals(List.of("localhost", "127.0.0.1"), c.subjectAlternativeNames());
        assertEquals("CN=localhost", c.certificate().getSubjectX500Principal().getName());
    }

    @Test
    void keyIsEcP256() throws Exception {
        GatewayCertificate c = SelfSignedCertificateGenerator.generate(List.of());
        AlgorithmParameters p256 = AlgorithmParameters.getInstance("EC");
        p256.init(new ECGenParameterSpec("secp256r1"));
        ECParameterSpec expected = p256.getParameterSpec(ECParameterSpec.class);

        ECParameterSpec actual = ((ECPublicKey) c.certificate().getPublicKey()).getParams();
        assertEquals(expected.getCurve(), actual.getCurve());
        assertEquals(expected.getGenerator(), actual.getGenerator());
        assertEquals(expected.getOrder(), actual.getOrder());
        assertEquals(expected.getOrder(), ((ECPrivateKey) c.privateKey()).getParams().getOrder());
        assertEquals("SHA256withECDSA", c.certificate().getSigAlgName());
    }

    @Test
    void isSelfSignedV3ServerCertificateThatIsNoCa() throws Exception {
        GatewayCertificate c = SelfSignedCertificateGenerator.generate(List.of("gw.example.com"));
        var cert = c.certificate();
        cert.verify(cert.getPublicKey()); // throws unless self-signed with this key
        assertEquals(cert.getSubjectX500Principal(), cert.getIssuerX500Principal());
        assertEquals(3, cert.getVersion());
        assertEquals(-1, cert.getBasicConstraints());
        assertTrue(cert.getKeyUsage()[0], "digitalSignature");
        assertEquals(List.of("1.3.6.1.5.5.7.3.1"), cert.getExtendedKeyUsage()); // serverAuth
        assertTrue(cert.getCriticalExtensionOIDs().contains("2.5.29.19"), "basicConstraints is critical");
        assertEquals(1, c.chain().length);
        assertTrue(c.newlyGenerated());
    }

    @Test
    void isValidFromAnHourAgoFor825Days() throws Exception {
        Instant now = Instant.parse("2030-01-01T12:00:00Z");
        var cert = SelfSignedCertificateGenerator.generate(List.of(), now, SelfSignedCertificateGenerator.VALIDITY)
                .certificate();
        assertEquals(now.minus(Duration.ofHours(1)), cert.getNotBefore().toInstant());
        assertEquals(now.minus(Duration.ofHours(1)).plus(Duration.ofDays(825)), cert.getNotAfter().toInstant());
        cert.checkValidity(java.util.Date.from(now));
    }

    @Test
    void serialsAreRandomPositiveAndFitTwentyOctets() {
        var a = SelfSignedCertificateGenerator.generate(List.of()).certificate().getSerialNumber();
        var b = SelfSignedCertificateGenerator.generate(List.of()).certificate().getSerialNumber();
        assertNotEquals(a, b);
        assertTrue(a.signum() > 0 && a.toByteArray().length <= 20, a.toString(16));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "under_score.example", "-lead.example", "a..b", "fe80::1%eth0", "300.1.1.1",
        "host name", "a.*.example", "xn--bcher-kva.example-"})
    void refusesWhatIsNeitherNameNorAddress(String hostname) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SelfSignedCertificateGenerator.generate(List.of(hostname)));
        assertEquals("hostname \"" + hostname + "\" is neither a DNS name nor an IP address (expected: letters, "
                + "digits, '-' and '.', at most 253 characters, or an IPv4 or IPv6 literal without zone)",
                e.getMessage());
    }
}
