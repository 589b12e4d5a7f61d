package dev.mproxy.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.util.Mapping;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.concurrent.Future;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Real TLS handshakes over loopback between {@link TlsContexts#server} and each kind of client. */
@Timeout(30)
class TlsContextsTest {

    private static GatewayCertificate certificate;
    private static TlsLoopback loopback;

    @TempDir
    static Path dir;

    @BeforeAll
    static void startServer() throws Exception {
        certificate = SelfSignedCertificateGenerator.generate(List.of("gw.example.com", "::1"));
        loopback = new TlsLoopback(TlsContexts.server(certificate));
    }

    @AfterAll
    static void stopServer() throws Exception {
        loopback.close();
    }

    @Test
    void pinnedClientConnectsToTheServerWithThatFingerprint() throws Exception {
        ClientTls tls = TlsContexts.clientPinned(certificate.fingerprint());
        assertEquals("ping", loopback.ping(tls, "localhost").get());
    }

    @Test
    void pinnedClientIgnoresHostNameAndAcceptsAnyFingerprintSpelling() throws Exception {
        String lowerNoColons = certificate.fingerprint().replace(":", "").toLowerCase();
        ClientTls tls = TlsContexts.clientPinned(lowerNoColons);
        assertFalse(tls.verifiesHostname());
        assertEquals("ping", loopback.ping(tls, "not-in-the-certificate.example").get());
    }

    @Test
    void pinnedClientRefusesAnotherFingerprintAndNamesBoth() throws Exception {
        String other = SelfSignedCertificateGenerator.generate(List.of()).fingerprint();
        Future<String> reply = loopback.ping(TlsContexts.clientPinned(other), "localhost");

        assertFalse(reply.isSuccess());
        assertTrue(reply.cause() instanceof SSLHandshakeException, String.valueOf(reply.cause()));
        CertificateException rejection = causeOfType(reply.cause(), CertificateException.class);
        assertEquals("server certificate SHA-256 fingerprint " + certificate.fingerprint()
                + " does not match the pinned one (expected: " + other + ')', rejection.getMessage());
    }

    @Test
    void caClientAcceptsHostNamesAndAddressesInTheCertificate() throws Exception {
        ClientTls tls = caClient();
        assertTrue(tls.verifiesHostname());
        assertEquals("ping", loopback.ping(tls, "localhost").get());
        assertEquals("ping", loopback.ping(tls, "gw.example.com").get());
        assertEquals("ping", loopback.ping(tls, "127.0.0.1").get());
        assertEquals("ping", loopback.ping(tls, "[::1]").get()); // as URI.getHost() returns it
    }

    @Test
    void boringSslIsUsedOnThisPlatform() {
        // the tunnel's throughput depends on it (pom.xml); a missing native library must not go unnoticed
        assertEquals(SslProvider.OPENSSL, TlsContexts.PROVIDER, String.valueOf(OpenSsl.unavailabilityCause()));
    }

    @Test
    void caClientRefusesHostNameNotInTheCertificate() throws Exception {
        Future<String> reply = loopback.ping(caClient(), "other.example.com");
        assertFalse(reply.isSuccess());
        assertTrue(reply.cause() instanceof SSLHandshakeException, String.valueOf(reply.cause()));
        String why = TlsFailures.describe(reply.cause());
        assertTrue(why.startsWith("TLS handshake failed: ") && why.contains("other.example.com"), why);
    }

    @Test
    void caClientRefusesServerNotIssuedByTheCa() throws Exception {
        Path otherCa = dir.resolve("other-ca.pem");
        Files.writeString(otherCa, PemFiles.certificatesToPem(
                SelfSignedCertificateGenerator.generate(List.of()).certificate()), StandardCharsets.US_ASCII);
        Future<String> reply = loopback.ping(TlsContexts.clientWithCa(otherCa), "localhost");
        assertFalse(reply.isSuccess());
        assertTrue(reply.cause() instanceof SSLHandshakeException, String.valueOf(reply.cause()));
    }

    @Test
    void defaultClientRefusesSelfSignedServer() throws Exception {
        Future<String> reply = loopback.ping(TlsContexts.clientDefault(), "localhost");
        assertFalse(reply.isSuccess());
        assertTrue(reply.cause() instanceof SSLHandshakeException, String.valueOf(reply.cause()));
    }

    @Test
    void insecureClientConnectsWhateverTheNameOrIssuer() throws Exception {
        ClientTls tls = TlsContexts.clientInsecure();
        assertFalse(tls.verifiesHostname());
        assertEquals("ping", loopback.ping(tls, "not-in-the-certificate.example").get());
    }

    @Test
    void handlerVerifiesHostNameOnTheEngineAndOffersTls13And12() throws Exception {
        SslHandler handler = caClient().newHandler(UnpooledByteBufAllocator.DEFAULT, "localhost", 443);
        assertEquals("HTTPS", handler.engine().getSSLParameters().getEndpointIdentificationAlgorithm());
        assertEquals("localhost", handler.engine().getPeerHost());
        // BoringSSL's engine also lists the SSLv2Hello pseudo-protocol, which it never sends
        assertEquals(List.of("TLSv1.3", "TLSv1.2"), Arrays.stream(handler.engine().getEnabledProtocols())
                .filter(p -> !p.equals("SSLv2Hello")).collect(Collectors.toList()));
    }

    @Test
    void clientHelloNamesTheHostInSniEvenWithoutADot() throws Exception {
        // telebit's relay serves its own WebSocket only to a ClientHello naming one of its names, and JSSE and
        // BoringSSL leave a name without a dot out of SNI unless told (control 1.3)
        assertEquals("localhost", sniSentBy(TlsContexts.clientInsecure(), "localhost"));
        assertEquals("relay.example.com", sniSentBy(caClient(), "relay.example.com"));
        assertEquals("relay.example.com", sniSentBy(TlsContexts.clientPinned(certificate.fingerprint()),
                "relay.example.com."));
        assertEquals(null, sniSentBy(TlsContexts.clientInsecure(), "127.0.0.1"));
        assertEquals(null, sniSentBy(TlsContexts.clientInsecure(), "[::1]"));
    }

    /** The SNI name in the ClientHello a handler of {@code tls} for {@code host} sends, or null for none. */
    private static String sniSentBy(ClientTls tls, String host) throws Exception {
        EmbeddedChannel client = new EmbeddedChannel(tls.newHandler(UnpooledByteBufAllocator.DEFAULT, host, 443));
        String[] seen = {"(no lookup)"};
        SslContext server = TlsContexts.server(certificate);
        EmbeddedChannel reader = new EmbeddedChannel(new SniHandler((Mapping<String, SslContext>) name -> {
            seen[0] = name;
            return server;
        }));
        try {
            for (ByteBuf hello = client.readOutbound(); hello != null; hello = client.readOutbound()) {
                reader.writeInbound(hello);
            }
            return seen[0];
        } finally {
            client.finishAndReleaseAll();
            reader.finishAndReleaseAll();
        }
    }

    @Test
    void rejectsMalformedFingerprintAndPort() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TlsContexts.clientPinned("AB:CD"));
        assertEquals("fingerprint \"AB:CD\" is not a SHA-256 (expected: 64 hex digits, colons allowed)",
                e.getMessage());
        IllegalArgumentException port = assertThrows(IllegalArgumentException.class,
                () -> TlsContexts.clientInsecure().newHandler(UnpooledByteBufAllocator.DEFAULT, "localhost", 0));
        assertEquals("port: 0 (expected: 1 ~ 65535)", port.getMessage());
    }

    private static ClientTls caClient() throws Exception {
        Path ca = dir.resolve("gateway-as-ca.pem");
        if (!Files.exists(ca)) {
            Files.writeString(ca, PemFiles.certificatesToPem(certificate.chain()), StandardCharsets.US_ASCII);
        }
        return TlsContexts.clientWithCa(ca);
    }

    private static <T extends Throwable> T causeOfType(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        return fail("no " + type.getSimpleName() + " among the causes of " + t);
    }
}
