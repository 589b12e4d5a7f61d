package dev.mproxy.tls;

import static java.util.Objects.requireNonNull;

import dev.mproxy.files.SecureFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;

/**
 * The gateway's certificate chain and private key: brought by the user as PEM files ({@link #load}), or
 * generated on first start and kept in the data directory ({@link #loadOrCreate}).
 */
public final class GatewayCertificate {

    /** Name of the certificate in the data directory: one PEM {@code CERTIFICATE} block. */
    public static final String CERTIFICATE_FILE = "gateway.crt";

    /** Name of the private key in the data directory: one PKCS#8 PEM {@code PRIVATE KEY} block, mode 0600. */
    public static final String KEY_FILE = "gateway.key";

    private final X509Certificate[] chain;
    private final PrivateKey privateKey;
    private final String fingerprint;
    private final boolean newlyGenerated;

    GatewayCertificate(X509Certificate[] chain, PrivateKey privateKey, boolean newlyGenerated) {
        if (chain.length == 0) {
            throw new IllegalArgumentException("chain: empty (expected: the leaf certificate first)");
        }
        this.chain = chain.clone();
        this.privateKey = requireNonNull(privateKey, "privateKey");
        this.fingerprint = Fingerprints.of(chain[0]);
        this.newlyGenerated = newlyGenerated;
    }

    /**
     * The certificate and key in {@code dataDir}, or, if there is no certificate yet, a new self-signed one
     * for {@code hostnames} (see {@link SelfSignedCertificateGenerator}) stored there first. {@code dataDir}
     * is created with permissions 0700 if missing. A stored certificate is reused as it is, even if
     * {@code hostnames} changed since it was made, because a new one would break every client that pinned
     * its fingerprint; delete both files to get a new one.
     *
     * @throws java.nio.file.FileSystemException if {@code dataDir} or the key lets other users in (see
     *                          {@link SecureFiles}; the message names the {@code chmod} that fixes it)
     * @throws TlsFileException if the certificate exists but the key does not, or the files cannot be used
     * @throws IllegalArgumentException if a new certificate is needed and a host name is not valid
     */
    public static GatewayCertificate loadOrCreate(Path dataDir, Collection<String> hostnames) throws IOException {
        requireNonNull(dataDir, "dataDir");
        requireNonNull(hostnames, "hostnames");
        SecureFiles.createPrivateDirectory(dataDir);
        Path certificateFile = dataDir.resolve(CERTIFICATE_FILE);
        Path keyFile = dataDir.resolve(KEY_FILE);
        if (Files.exists(certificateFile)) {
            if (!Files.exists(keyFile)) {
                throw new TlsFileException(keyFile, "missing, but " + certificateFile + " exists (expected: "
                        + "both files; delete " + certificateFile + " to generate a new pair)");
            }
            SecureFiles.requireOwnerOnly(keyFile);
            return load(certificateFile, keyFile);
        }
        GatewayCertificate generated = SelfSignedCertificateGenerator.generate(hostnames);
        SecureFiles.writePrivateFile(keyFile,
                PemFiles.privateKeyToPem(generated.privateKey()).getBytes(StandardCharsets.US_ASCII));
        // The certificate goes last: its presence says the pair is complete. A key left alone by a crash
        // is overwritten on the next start.
        SecureFiles.writePrivateFile(certificateFile,
                PemFiles.certificatesToPem(generated.chain()).getBytes(StandardCharsets.US_ASCII));
        return generated;
    }

    /**
     * The chain in {@code certificateFile} (leaf first) and the key in {@code keyFile}, which must belong to
     * the leaf. Both may be the same file.
     *
     * @throws TlsFileException if a file holds no usable certificate or key, or the key is not the leaf's
     */
    public static GatewayCertificate load(Path certificateFile, Path keyFile) throws IOException {
        X509Certificate[] chain = PemFiles.readCertificates(requireNonNull(certificateFile, "certificateFile"));
        PrivateKey key = PemFiles.readPrivateKey(requireNonNull(keyFile, "keyFile"));
        PublicKey publicKey = chain[0].getPublicKey();
        if (!keyMatches(key, publicKey)) {
            throw new TlsFileException(keyFile, key.getAlgorithm() + " private key does not match the "
                    + publicKey.getAlgorithm() + " public key of the certificate in " + certificateFile
                    + " (expected: the key the certificate was issued for)");
        }
        return new GatewayCertificate(chain, key, false);
    }

    /** Signs a random challenge with {@code key} and checks it with {@code publicKey}; works for every type. */
    private static boolean keyMatches(PrivateKey key, PublicKey publicKey) {
        if (!key.getAlgorithm().equals(publicKey.getAlgorithm())) {
            return false;
        }
        String algorithm;
        switch (key.getAlgorithm()) {
            case "EC":
                algorithm = "SHA256withECDSA";
                break;
            case "RSA":
                algorithm = "SHA256withRSA";
                break;
            default:
                algorithm = key.getAlgorithm(); // Ed25519, Ed448 and EdDSA name their own signature
        }
        byte[] challenge = new byte[32];
        new SecureRandom().nextBytes(challenge);
        try {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(challenge);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** The leaf certificate: the gateway's own. */
    public X509Certificate certificate() {
        return chain[0];
    }

    /** The chain, leaf first; a copy. */
    public X509Certificate[] chain() {
        return chain.clone();
    }

    public PrivateKey privateKey() {
        return privateKey;
    }

    /** The leaf's SHA-256 fingerprint in the form of {@link Fingerprints#format}, for clients to pin. */
    public String fingerprint() {
        return fingerprint;
    }

    /** Whether this certificate was generated by this call rather than read from files. */
    public boolean newlyGenerated() {
        return newlyGenerated;
    }

    /** The leaf's DNS names and IP addresses (as the JDK writes them), in certificate order. */
    public List<String> subjectAlternativeNames() {
        Collection<List<?>> entries;
        try {
            entries = chain[0].getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            throw new IllegalStateException("subject alternative names of a parsed certificate: " + e.getMessage(),
                    e);
        }
        if (entries == null) {
            return Collections.emptyList();
        }
        List<String> names = new ArrayList<>();
        for (List<?> entry : entries) {
            int type = (Integer) entry.get(0);
            if (type == 2 || type == 7) { // dNSName, iPAddress (RFC 5280 §4.2.1.6)
                names.add((String) entry.get(1));
            }
        }
        return Collections.unmodifiableList(names);
    }

    @Override
    public String toString() {
        return "GatewayCertificate(" + chain[0].getSubjectX500Principal().getName() + ", SHA-256 " + fingerprint
                + ')';
    }
}
