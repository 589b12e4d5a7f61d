package dev.mproxy.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mproxy.files.SecureFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class GatewayCertificateTest {

    @TempDir
    Path tmp;

    @Test
    void firstStartGeneratesAndStoresPrivately() throws Exception {
        Path dataDir = tmp.resolve("mproxy-data");
        GatewayCertificate c = GatewayCertificate.loadOrCreate(dataDir, List.of("gw.example.com"));

        assertTrue(c.newlyGenerated());
        assertEquals(List.of("gw.example.com", "localhost", "127.0.0.1"), c.subjectAlternativeNames());
        assertTrue(Files.readString(dataDir.resolve("gateway.crt")).startsWith("-----BEGIN CERTIFICATE-----"));
        assertTrue(Files.readString(dataDir.resolve("gateway.key")).startsWith("-----BEGIN PRIVATE KEY-----"));
        if (SecureFiles.isPosix(dataDir)) {
            assertEquals("rwx------", permissions(dataDir));
            assertEquals("rw-------", permissions(dataDir.resolve("gateway.key")));
            assertEquals("rw-------", permissions(dataDir.resolve("gateway.crt")));
        }
    }

    @Test
    void laterStartsLoadTheSameCertificateWhateverTheHostnames() throws Exception {
        Path dataDir = tmp.resolve("mproxy-data");
        GatewayCertificate first = GatewayCertificate.loadOrCreate(dataDir, List.of("gw.example.com"));
        GatewayCertificate second = GatewayCertificate.loadOrCreate(dataDir, List.of("other.example.com"));

        assertFalse(second.newlyGenerated());
        assertEquals(first.fingerprint(), second.fingerprint());
        assertEquals(first.certificate(), second.certificate());
        assertArrayEquals(first.privateKey().getEncoded(), second.privateKey().getEncoded());
    }

    @Test
    void keyLeftAloneByACrashIsReplaced() throws Exception {
        Path dataDir = tmp.resolve("mproxy-data");
        GatewayCertificate first = GatewayCertificate.loadOrCreate(dataDir, List.of());
        Files.delete(dataDir.resolve("gateway.crt"));
        GatewayCertificate second = GatewayCertificate.loadOrCreate(dataDir, List.of());
        assertTrue(second.newlyGenerated());
        assertNotEquals(first.fingerprint(), second.fingerprint());
    }

    @Test
    void certificateWithoutKeyIsRefused() throws Exception {
        Path dataDir = tmp.resolve("mproxy-data");
        GatewayCertificate.loadOrCreate(dataDir, List.of());
        Path key = dataDir.resolve("gateway.key");
        Files.delete(key);
        TlsFileException e = assertThrows(TlsFileException.class,
                () -> GatewayCertificate.loadOrCreate(dataDir, List.of()));
        Path cert = dataDir.resolve("gateway.crt");
        assertEquals(key + ": missing, but " + cert + " exists (expected: both files; delete " + cert
                + " to generate a new pair)", e.getMessage());
    }

    @Test
    void keyOthersCanReadIsRefused() throws Exception {
        Path dataDir = tmp.resolve("mproxy-data");
        GatewayCertificate.loadOrCreate(dataDir, List.of());
        Path key = dataDir.resolve("gateway.key");
        if (!SecureFiles.isPosix(key)) {
            return;
        }
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        FileSystemException e = assertThrows(FileSystemException.class,
                () -> GatewayCertificate.loadOrCreate(dataDir, List.of()));
        assertTrue(e.getMessage().contains("chmod 600 " + key), e.getMessage());
        assertEquals(key.toString(), e.getFile());
    }

    @Test
    void loadsUserSuppliedPair() throws Exception {
        GatewayCertificate c = SelfSignedCertificateGenerator.generate(List.of("gw.example.com"));
        Path cert = write("cert.pem", PemFiles.certificatesToPem(c.chain()));
        Path key = write("key.pem", PemFiles.privateKeyToPem(c.privateKey()));
        GatewayCertificate loaded = GatewayCertificate.load(cert, key);
        assertEquals(c.fingerprint(), loaded.fingerprint());
        assertFalse(loaded.newlyGenerated());
    }

    @Test
    void keyOfAnotherCertificateIsRefused() throws Exception {
        GatewayCertificate a = SelfSignedCertificateGenerator.generate(List.of());
        GatewayCertificate b = SelfSignedCertificateGenerator.generate(List.of());
        Path cert = write("cert.pem", PemFiles.certificatesToPem(a.chain()));
        Path key = write("key.pem", PemFiles.privateKeyToPem(b.privateKey()));
        TlsFileException e = assertThrows(TlsFileException.class, () -> GatewayCertificate.load(cert, key));
        assertEquals(key + ": EC private key does not match the EC public key of the certificate in " + cert
                + " (expected: the key the certificate was issued for)", e.getMessage());
        assertEquals(key, e.file());
    }

    @Test
    void keyOfAnotherAlgorithmIsRefused() throws Exception {
        Openssl.assumeAvailable();
        Openssl.run(tmp, "genrsa", "-traditional", "-out", "rsa.pem", "2048");
        GatewayCertificate ec = SelfSignedCertificateGenerator.generate(List.of());
        Path cert = write("cert.pem", PemFiles.certificatesToPem(ec.chain()));
        TlsFileException e = assertThrows(TlsFileException.class,
                () -> GatewayCertificate.load(cert, tmp.resolve("rsa.pem")));
        assertTrue(e.getMessage().contains("RSA private key does not match the EC public key"), e.getMessage());
    }

    @Test
    void opensslPairsServeTls() throws Exception {
        Openssl.assumeAvailable();
        Openssl.run(tmp, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ec.pem");
        Openssl.selfSign(tmp, "ec.pem", "ec.crt");
        Openssl.run(tmp, "genrsa", "-traditional", "-out", "rsa.pem", "2048");
        Openssl.selfSign(tmp, "rsa.pem", "rsa.crt");
        Openssl.run(tmp, "ecparam", "-name", "prime256v1", "-genkey", "-out", "ec-traditional.pem");
        Openssl.selfSign(tmp, "ec-traditional.pem", "ec-traditional.crt");

        for (String name : List.of("ec", "rsa", "ec-traditional")) {
            GatewayCertificate c = GatewayCertificate.load(tmp.resolve(name + ".crt"), tmp.resolve(name + ".pem"));
            String printed = Openssl.run(tmp, "x509", "-in", name + ".crt", "-noout", "-fingerprint", "-sha256");
            assertEquals(printed.substring(printed.indexOf('=') + 1).strip(), c.fingerprint(), name);
            try (TlsLoopback loopback = new TlsLoopback(TlsContexts.server(c))) {
                assertEquals("ping", loopback.ping(TlsContexts.clientPinned(c.fingerprint()), "localhost").get(),
                        name);
                assertEquals("ping", loopback.ping(TlsContexts.clientWithCa(tmp.resolve(name + ".crt")),
                        "localhost").get(), name);
            }
        }
    }

    private Path write(String name, String content) throws Exception {
        return Files.writeString(tmp.resolve(name), content, StandardCharsets.US_ASCII);
    }

    private static String permissions(Path path) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }
}
