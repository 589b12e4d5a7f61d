package dev.mproxy.tls;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.X509TrustedCertificateBlock;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

/**
 * Reads certificates and private keys from PEM files, as openssl and most tools write them, and writes them
 * as {@code CERTIFICATE} and PKCS#8 {@code PRIVATE KEY} blocks. Keys and certificates come back as JDK objects
 * (made by the JDK's own key and certificate factories), which every TLS provider accepts.
 */
public final class PemFiles {

    private PemFiles() {
    }

    /**
     * The {@code CERTIFICATE} blocks of {@code file} in file order, which for a chain is leaf first. Other
     * blocks, such as a private key in the same file, are skipped.
     *
     * @throws TlsFileException if the file holds no certificate, or is not valid PEM
     */
    public static X509Certificate[] readCertificates(Path file) throws IOException {
        List<Object> objects = parse(file);
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        List<X509Certificate> certificates = new ArrayList<>();
        for (Object o : objects) {
            X509CertificateHolder holder = o instanceof X509TrustedCertificateBlock
                    ? ((X509TrustedCertificateBlock) o).getCertificateHolder()
                    : o instanceof X509CertificateHolder ? (X509CertificateHolder) o : null;
            if (holder == null) {
                continue;
            }
            try {
                certificates.add(converter.getCertificate(holder));
            } catch (CertificateException e) {
                throw new TlsFileException(file, "unusable certificate (" + e.getMessage() + ')', e);
            }
        }
        if (certificates.isEmpty()) {
            throw new TlsFileException(file, "no certificate found (expected: one or more PEM 'CERTIFICATE' "
                    + "blocks)");
        }
        return certificates.toArray(new X509Certificate[0]);
    }

    /**
     * The one private key of {@code file}: PKCS#8 ({@code PRIVATE KEY}) or OpenSSL's traditional
     * {@code EC PRIVATE KEY} and {@code RSA PRIVATE KEY}. Other blocks, such as the {@code EC PARAMETERS} that
     * {@code openssl ecparam -genkey} writes first, or certificates, are skipped.
     *
     * @throws TlsFileException if the file holds no key, more than one, an encrypted one, or is not valid PEM
     */
    public static PrivateKey readPrivateKey(Path file) throws IOException {
        List<Object> objects = parse(file);
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        List<PrivateKey> keys = new ArrayList<>();
        for (Object o : objects) {
            if (o instanceof PKCS8EncryptedPrivateKeyInfo || o instanceof PEMEncryptedKeyPair) {
                throw new TlsFileException(file, "the private key is encrypted (expected: an unencrypted key; "
                        + "decrypt it with: openssl pkey -in " + file + " -out DECRYPTED.pem)");
            }
            try {
                if (o instanceof PrivateKeyInfo) {
                    keys.add(converter.getPrivateKey((PrivateKeyInfo) o));
                } else if (o instanceof PEMKeyPair) {
                    keys.add(converter.getKeyPair((PEMKeyPair) o).getPrivate());
                }
            } catch (IOException | RuntimeException e) {
                throw new TlsFileException(file, "unusable private key (" + e.getMessage() + ')', e);
            }
        }
        if (keys.isEmpty()) {
            throw new TlsFileException(file, "no private key found (expected: a PEM 'PRIVATE KEY', "
                    + "'EC PRIVATE KEY' or 'RSA PRIVATE KEY' block)");
        }
        if (keys.size() > 1) {
            throw new TlsFileException(file, keys.size() + " private keys found (expected: exactly one)");
        }
        return keys.get(0);
    }

    /** {@code chain} as consecutive PEM {@code CERTIFICATE} blocks. */
    public static String certificatesToPem(X509Certificate... chain) {
        requireNonNull(chain, "chain");
        StringWriter out = new StringWriter();
        try (PemWriter writer = new PemWriter(out)) {
            for (X509Certificate certificate : chain) {
                writer.writeObject(new PemObject("CERTIFICATE", requireNonNull(certificate, "certificate")
                        .getEncoded()));
            }
        } catch (CertificateEncodingException e) {
            throw new IllegalArgumentException("certificate cannot be DER-encoded: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("writing to a string cannot fail", e);
        }
        return out.toString();
    }

    /** {@code key} as one PKCS#8 {@code PRIVATE KEY} block, unencrypted. */
    public static String privateKeyToPem(PrivateKey key) {
        requireNonNull(key, "key");
        if (!"PKCS#8".equals(key.getFormat())) {
            throw new IllegalArgumentException("key format: " + key.getFormat() + " (expected: PKCS#8)");
        }
        StringWriter out = new StringWriter();
        try (PemWriter writer = new PemWriter(out)) {
            writer.writeObject(new PemObject("PRIVATE KEY", key.getEncoded()));
        } catch (IOException e) {
            throw new UncheckedIOException("writing to a string cannot fail", e);
        }
        return out.toString();
    }

    private static List<Object> parse(Path file) throws IOException {
        requireNonNull(file, "file");
        // ISO-8859-1 maps every byte, so stray non-ASCII text around the blocks cannot fail decoding.
        String text = Files.readString(file, StandardCharsets.ISO_8859_1);
        List<Object> objects = new ArrayList<>();
        try (PEMParser parser = new PEMParser(new StringReader(text))) {
            Object o;
            while ((o = parser.readObject()) != null) {
                objects.add(o);
            }
        } catch (IOException | RuntimeException e) {
            throw new TlsFileException(file, "malformed PEM (" + e.getMessage() + ')', e);
        }
        return objects;
    }
}
