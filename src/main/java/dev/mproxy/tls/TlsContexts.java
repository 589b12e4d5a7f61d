package dev.mproxy.tls;

import static java.util.Objects.requireNonNull;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.net.ssl.SSLException;

/**
 * Netty {@link SslContext}s for the gateway and its clients, TLS 1.3 and 1.2 only. They use BoringSSL
 * (netty-tcnative, {@link SslProvider#OPENSSL}) when its native library loads on this platform, and the JDK's
 * TLS otherwise; both check certificates with the same trust managers.
 */
public final class TlsContexts {

    /** The protocol versions both ends offer, newest first. */
    public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    /** BoringSSL when available: several times the JDK's AES-GCM speed (bench/run-tunnel.sh). */
    public static final SslProvider PROVIDER = OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;

    private static final String HTTPS = "HTTPS";

    private TlsContexts() {
    }

    /** The gateway's side: presents {@code certificate}'s chain, asks clients for none. */
    public static SslContext server(GatewayCertificate certificate) throws SSLException {
        requireNonNull(certificate, "certificate");
        return SslContextBuilder.forServer(certificate.privateKey(), certificate.chain())
                .sslProvider(PROVIDER)
                .protocols(PROTOCOLS)
                .build();
    }

    /**
     * Trusts exactly the server whose leaf certificate has SHA-256 {@code fingerprint}, regardless of issuer,
     * validity dates and host name: how clients trust a gateway's self-signed certificate.
     *
     * @param fingerprint as accepted by {@link Fingerprints#parse}
     * @throws IllegalArgumentException if {@code fingerprint} is not a SHA-256 fingerprint
     */
    public static ClientTls clientPinned(String fingerprint) throws SSLException {
        byte[] digest = Fingerprints.parse(fingerprint);
        SslContext context = client()
                .trustManager(new PinnedTrustManager(digest))
                .endpointIdentificationAlgorithm(null)
                .build();
        return new ClientTls(context, false, "pinned SHA-256 " + Fingerprints.format(digest));
    }

    /**
     * Trusts servers whose chain leads to a certificate in {@code caFile} (PEM, one or more
     * {@code CERTIFICATE} blocks) and whose certificate names the host. A gateway's self-signed certificate
     * may serve as its own CA here.
     *
     * @throws TlsFileException if {@code caFile} holds no certificate
     */
    public static ClientTls clientWithCa(Path caFile) throws IOException {
        requireNonNull(caFile, "caFile");
        SslContext context = client()
                .trustManager(PemFiles.readCertificates(caFile))
                .endpointIdentificationAlgorithm(HTTPS)
                .build();
        return new ClientTls(context, true, "CA certificates in " + caFile);
    }

    /**
     * Trusts any server, without checking its certificate or name: traffic is encrypted but anyone in the
     * path can read it. Callers should warn the user.
     */
    public static ClientTls clientInsecure() throws SSLException {
        SslContext context = client()
                .trustManager(InsecureTrustManagerFactory.INSTANCE)
                .endpointIdentificationAlgorithm(null)
                .build();
        return new ClientTls(context, false, "any certificate (insecure)");
    }

    /** Trusts the CAs of the JDK's default trust store, with host name verification, as a browser would. */
    public static ClientTls clientDefault() throws SSLException {
        SslContext context = client()
                .endpointIdentificationAlgorithm(HTTPS)
                .build();
        return new ClientTls(context, true, "the JDK's default trust store");
    }

    private static SslContextBuilder client() {
        return SslContextBuilder.forClient()
                .sslProvider(PROVIDER)
                .protocols(PROTOCOLS);
    }
}
