package dev.mproxy.tls;

import java.net.Socket;
import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trusts a server whose leaf certificate has one SHA-256 fingerprint, whoever issued it and whatever names it
 * holds; the handshake itself proves that the server has the leaf's key. Being an
 * {@link X509ExtendedTrustManager}, it also keeps the JDK from adding CA-based host name checks of its own.
 */
final class PinnedTrustManager extends X509ExtendedTrustManager {

    private static final X509Certificate[] NO_ISSUERS = new X509Certificate[0];

    private final byte[] fingerprint;

    PinnedTrustManager(byte[] fingerprint) {
        this.fingerprint = fingerprint.clone();
    }

    private void check(X509Certificate[] chain) throws CertificateException {
        if (chain == null || chain.length == 0) {
            throw new CertificateException("server sent no certificate (expected: one with SHA-256 fingerprint "
                    + Fingerprints.format(fingerprint) + ')');
        }
        byte[] actual = Fingerprints.sha256(chain[0]);
        if (!MessageDigest.isEqual(fingerprint, actual)) { // constant time
            throw new CertificateException("server certificate SHA-256 fingerprint " + Fingerprints.format(actual)
                    + " does not match the pinned one (expected: " + Fingerprints.format(fingerprint) + ')');
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        check(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("a pinned trust manager checks servers only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        checkClientTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return NO_ISSUERS;
    }
}
