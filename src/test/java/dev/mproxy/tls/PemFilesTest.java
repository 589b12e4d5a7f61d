package dev.mproxy.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class PemFilesTest {

    @TempDir
    Path dir;

    @Test
    void roundTripsChainAndPkcs8Key() throws Exception {
        GatewayCertificate a = SelfSignedCertificateGenerator.generate(List.of("a.example"));
        GatewayCertificate b = SelfSignedCertificateGenerator.generate(List.of("b.example"));
        String pem = PemFiles.certificatesToPem(a.certificate(), b.certificate());
        assertTrue(pem.startsWith("-----BEGIN CERTIFICATE-----"), pem);
        Path chain = write("chain.pem", pem);
        assertArrayEquals(new X509Certificate[] {a.certificate(), b.certificate()}, PemFiles.readCertificates(chain));

        String keyPem = PemFiles.privateKeyToPem(a.privateKey());
        assertTrue(keyPem.startsWith("-----BEGIN PRIVATE KEY-----"), keyPem);
        PrivateKey key = PemFiles.readPrivateKey(write("key.pem", keyPem));
        assertArrayEquals(a.privateKey().getEncoded(), key.getEncoded());
    }

    @Test
    void readsKeyAndCertificateFromOneFile() throws Exception {
        GatewayCertificate c = SelfSignedCertificateGenerator.generate(List.of());
        Path both = write("both.pem", PemFiles.privateKeyToPem(c.privateKey())
                + "some text openssl leaves between blocks\n" + PemFiles.certificatesToPem(c.chain()));
        assertEquals(c.certificate(), PemFiles.readCertificates(both)[0]);
        assertArrayEquals(c.privateKey().getEncoded(), PemFiles.readPrivateKey(both).getEncoded());
    }

    @Test
    void readsOpensslPkcs8EcKey() throws Exception {
        Openssl.assumeAvailable();
        Openssl.run(dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "key.pem");
        assertTrue(Files.readString(dir.resolve("key.pem")).contains("BEGIN PRIVATE KEY"));
        assertEquals("EC", PemFiles.readPrivateKey(dir.resolve("key.pem")).getAlgorithm());
    }

    @Test
    void readsOpensslTraditionalEcKeyAfterItsParameters() throws Exception {
        Openssl.assumeAvailable();
        Openssl.run(dir, "ecparam", "-name", "prime256v1", "-genkey", "-out", "key.pem");
        String pem = Files.readString(dir.resolve("key.pem"));
        assertTrue(pem.contains("BEGIN EC PARAMETERS") && pem.contains("BEGIN EC PRIVATE KEY"), pem);
        assertEquals("EC", PemFiles.readPrivateKey(dir.resolve("key.pem")).getAlgorithm());
    }

    @Test
    void readsOpensslTraditionalRsaKey() throws Exception {
        Openssl.assumeAvailable();
        Openssl.run(dir, "genrsa", "-traditional", "-out", "key.pem", "2048");
        assertTrue(Files.readString(dir.resolve("key.pem")).contains("BEGIN RSA PRIVATE KEY"));
        assertEquals("RSA", PemFiles.readPrivateKey(dir.resolve("key.pem")).getAlgorithm());
    }

    @Test
    void refusesFileWithoutKey() throws Exception {
        GatewayCertificate c = SelfSignedCertificateGenerator.generate(List.of());
        Path file = write("cert.pem", PemFiles.certificatesToPem(c.chain()));
        TlsFileException e = assertThrows(TlsFileException.class, () -> PemFiles.readPrivateKey(file));
        assertEquals(file + ": no private key found (expected: a PEM 'PRIVATE KEY', 'EC PRIVATE KEY' or "
                + "'RSA PRIVATE KEY' block)", e.getMessage());
    }

    @Test
    void refusesFileWithoutCertificate() throws Exception {
        Path file = write("empty.pem", "not PEM at all\n");
        TlsFileException e = assertThrows(TlsFileException.class, () -> PemFiles.readCertificates(file));
        assertEquals(file + ": no certificate found (expected: one or more PEM 'CERTIFICATE' blocks)",
                e.getMessage());
    }

    @Test
    void refusesMalformedPem() throws Exception {
        Path file = write("broken.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        TlsFileException e = assertThrows(TlsFileException.class, () -> PemFiles.readCertificates(file));
        assertTrue(e.getMessage().startsWith(file + ": malformed PEM ("), e.getMessage());
    }

    @Test
    void refusesEncryptedKeyAndSaysHowToDecryptIt() throws Exception {
        Openssl.assumeAvailable();
        Openssl.run(dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-aes-128-cbc",
                "-pass", "pass:secret", "-out", "key.pem");
        Path file = dir.resolve("key.pem");
        TlsFileException e = assertThrows(TlsFileException.class, () -> PemFiles.readPrivateKey(file));
        assertEquals(file + ": the private key is encrypted (expected: an unencrypted key; decrypt it with: "
                + "openssl pkey -in " + file + " -out DECRYPTED.pem)", e.getMessage());
    }

    @Test
    void refusesTwoKeys() throws Exception {
        String key = PemFiles.privateKeyToPem(SelfSignedCertificateGenerator.generate(List.of()).privateKey());
        Path file = write("keys.pem", key + key);
        TlsFileException e = assertThrows(TlsFileException.class, () -> PemFiles.readPrivateKey(file));
        assertEquals(file + ": 2 private keys found (expected: exactly one)", e.getMessage());
    }

    private Path write(String name, String content) throws Exception {
        return Files.writeString(dir.resolve(name), content, StandardCharsets.US_ASCII);
    }
}
