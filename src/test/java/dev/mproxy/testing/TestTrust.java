package dev.mproxy.testing;

import dev.mproxy.tls.GatewayCertificate;
import java.security.KeyStore;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** JDK TLS contexts for test clients of a server with a generated certificate. */
public final class TestTrust {

    private TestTrust() {
    }

    /** A client context trusting {@code certificate} alone. */
    public static SSLContext clientTrusting(GatewayCertificate certificate) throws Exception {
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry("device", certificate.certificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }
}
