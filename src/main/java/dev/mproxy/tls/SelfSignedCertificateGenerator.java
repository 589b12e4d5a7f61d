package dev.mproxy.tls;

import static java.util.Objects.requireNonNull;

import io.netty.util.NetUtil;
import java.math.BigInteger;
import java.net.InetAddress;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Makes the gateway's certificate when the user brings none: an EC P-256 key and a self-signed X.509 v3
 * server certificate whose subject alternative names are the given host names and IP addresses plus
 * {@code localhost} and {@code 127.0.0.1}. Clients trust it by pinning its SHA-256 fingerprint, or by
 * using the certificate itself as their CA.
 */
public final class SelfSignedCertificateGenerator {

    /**
     * How long a generated certificate is valid: 825 days, the longest validity Apple platforms accept for
     * a TLS server certificate.
     */
    public static final Duration VALIDITY = Duration.ofDays(825);

    /** The names every generated certificate holds, so local clients work without {@code --hostname}. */
    public static final List<String> DEFAULT_NAMES = List.of("localhost", "127.0.0.1");

    /** How far {@code notBefore} lies in the past, so clients whose clocks run slow accept a fresh certificate. */
    private static final Duration CLOCK_SKEW = Duration.ofHours(1);

    private static final String SIGNATURE_ALGORITHM = "SHA256withECDSA";

    /** LDH labels of at most 63 characters; a wildcard may only be the whole first label. */
    private static final Pattern DNS_NAME = Pattern.compile(
            "(\\*\\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");
    private static final int DNS_NAME_MAX_LENGTH = 253;

    private static final SecureRandom RANDOM = new SecureRandom();

    private SelfSignedCertificateGenerator() {
    }

    /** Creating a BouncyCastle provider takes a while; only the signer needs one, so it is made on first use. */
    private static final class Bc {
        static final Provider PROVIDER = new BouncyCastleProvider();
    }

    /**
     * A new key and certificate valid from now for {@link #VALIDITY}.
     *
     * @param hostnames DNS names ({@code gw.example.com}, {@code *.example.com}) and IPv4 or IPv6 literals
     *                  (brackets allowed: {@code [::1]}); {@link #DEFAULT_NAMES} are added
     * @throws IllegalArgumentException if a host name is neither a DNS name nor an IP literal
     */
    public static GatewayCertificate generate(Collection<String> hostnames) {
        return generate(hostnames, Instant.now(), VALIDITY);
    }

    /**
     * A new key and certificate valid from {@code now} minus an hour (for slow client clocks) for
     * {@code validity}.
     *
     * @throws IllegalArgumentException if a host name is neither a DNS name nor an IP literal, or
     *                                  {@code validity} is not positive
     */
    public static GatewayCertificate generate(Collection<String> hostnames, Instant now, Duration validity) {
        requireNonNull(hostnames, "hostnames");
        requireNonNull(now, "now");
        requireNonNull(validity, "validity");
        if (validity.isNegative() || validity.isZero()) {
            throw new IllegalArgumentException("validity: " + validity + " (expected: > 0)");
        }
        List<GeneralName> names = subjectAlternativeNames(hostnames);
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            KeyPair keyPair = generator.generateKeyPair();

            X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
                    .addRDN(BCStyle.CN, commonName(names.get(0)))
                    .build();
            // 159 random bits, the last set: positive, non-zero, at most 20 octets (RFC 5280 §4.1.2.2).
            BigInteger serial = new BigInteger(159, RANDOM).setBit(0);
            Instant notBefore = now.minus(CLOCK_SKEW);
            Instant notAfter = notBefore.plus(validity);
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial,
                    Date.from(notBefore), Date.from(notAfter), subject, keyPair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false,
                            new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
                    .addExtension(Extension.subjectAlternativeName, false,
                            new GeneralNames(names.toArray(new GeneralName[0])))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            extensions.createSubjectKeyIdentifier(keyPair.getPublic()))
                    .addExtension(Extension.authorityKeyIdentifier, false,
                            extensions.createAuthorityKeyIdentifier(keyPair.getPublic()));
            // Sign with the BC provider, but let the JDK's certificate factory build the result.
            X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(builder.build(
                    new JcaContentSignerBuilder(SIGNATURE_ALGORITHM)
                            .setProvider(Bc.PROVIDER)
                            .build(keyPair.getPrivate())));
            return new GatewayCertificate(new X509Certificate[] {certificate}, keyPair.getPrivate(), true);
        } catch (GeneralSecurityException | OperatorCreationException | CertIOException e) {
            throw new IllegalStateException("cannot generate an EC P-256 certificate: " + e.getMessage(), e);
        }
    }

    /** {@code hostnames} then {@link #DEFAULT_NAMES}, parsed and without duplicates, in that order. */
    static List<GeneralName> subjectAlternativeNames(Collection<String> hostnames) {
        Map<String, GeneralName> names = new LinkedHashMap<>();
        List<String> all = new ArrayList<>(hostnames);
        all.addAll(DEFAULT_NAMES);
        for (String hostname : all) {
            GeneralName name = generalName(requireNonNull(hostname, "hostname"));
            names.putIfAbsent(name.getTagNo() + "/" + name.getName(), name);
        }
        return new ArrayList<>(names.values());
    }

    private static GeneralName generalName(String hostname) {
        String s = hostname.strip();
        if (s.length() > 2 && s.startsWith("[") && s.endsWith("]")) {
            s = s.substring(1, s.length() - 1); // an IPv6 literal as written in URLs
        }
        if (s.indexOf('%') < 0 && (NetUtil.isValidIpV4Address(s) || NetUtil.isValidIpV6Address(s))) {
            InetAddress address = NetUtil.createInetAddressFromIpAddressString(s);
            if (address != null) {
                return new GeneralName(GeneralName.iPAddress, new DEROctetString(address.getAddress()));
            }
        }
        String dns = s.toLowerCase(Locale.ROOT);
        if (dns.endsWith(".")) {
            dns = dns.substring(0, dns.length() - 1); // the root label is implied in certificates
        }
        if (dns.length() > DNS_NAME_MAX_LENGTH || !DNS_NAME.matcher(dns).matches() || lastLabelIsNumeric(dns)) {
            throw new IllegalArgumentException("hostname \"" + hostname + "\" is neither a DNS name nor an IP "
                    + "address (expected: letters, digits, '-' and '.', at most " + DNS_NAME_MAX_LENGTH
                    + " characters, or an IPv4 or IPv6 literal without zone)");
        }
        return new GeneralName(GeneralName.dNSName, dns);
    }

    /** Top-level domains are never all digits (RFC 3696 §2), so {@code 300.1.1.1} is a broken IP, not a name. */
    private static boolean lastLabelIsNumeric(String dns) {
        String last = dns.substring(dns.lastIndexOf('.') + 1);
        return last.chars().allMatch(c -> c >= '0' && c <= '9');
    }

    private static String commonName(GeneralName name) {
        if (name.getTagNo() == GeneralName.dNSName) {
            return name.getName().toString();
        }
        byte[] address = DEROctetString.getInstance(name.getName()).getOctets();
        return NetUtil.bytesToIpAddress(address);
    }
}
