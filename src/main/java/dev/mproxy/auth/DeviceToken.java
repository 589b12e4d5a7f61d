package dev.mproxy.auth;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * What a device token grants, checked on construction: the device id ({@code sub}), the public TCP ports
 * ({@code ports}) and the domain patterns ({@code domains}) it may serve, and when the grant ends
 * ({@code exp}). Immutable.
 */
public final class DeviceToken {

    /** A device id longer than this is refused; it names the device in logs and tables. */
    public static final int MAX_DEVICE_ID_LENGTH = 255;

    private final String deviceId;
    private final SortedSet<Integer> ports;
    private final List<String> domains;
    private final Instant expiresAt;
    private final String tokenId;
    private final Instant issuedAt;

    /**
     * @param deviceId  the {@code sub} claim; see {@link #checkDeviceId}
     * @param ports     TCP ports 1 to 65535; duplicates collapse, kept in ascending order
     * @param domains   names or {@code *.} wildcards, validated and lowercased by
     *                  {@link DomainNames#normalizePattern}; duplicates collapse, first order kept
     * @param expiresAt end of the grant, truncated to whole seconds as JWT stores it; null for never
     * @throws IllegalArgumentException naming the first value that is not valid
     */
    public DeviceToken(String deviceId, Collection<Integer> ports, Collection<String> domains, Instant expiresAt) {
        this.deviceId = checkDeviceId(deviceId);
        SortedSet<Integer> p = new TreeSet<>();
        for (Integer port : ports) {
            p.add(checkPort(Objects.requireNonNull(port, "port")));
        }
        Set<String> d = new LinkedHashSet<>();
        for (String domain : domains) {
            d.add(DomainNames.normalizePattern(Objects.requireNonNull(domain, "domain")));
        }
        this.ports = Collections.unmodifiableSortedSet(p);
        this.domains = List.copyOf(d);
        this.expiresAt = expiresAt == null ? null : expiresAt.truncatedTo(ChronoUnit.SECONDS);
        this.tokenId = null;
        this.issuedAt = null;
    }

    private DeviceToken(DeviceToken grant, String tokenId, Instant issuedAt) {
        this.deviceId = grant.deviceId;
        this.ports = grant.ports;
        this.domains = grant.domains;
        this.expiresAt = grant.expiresAt;
        this.tokenId = tokenId;
        this.issuedAt = issuedAt == null ? null : issuedAt.truncatedTo(ChronoUnit.SECONDS);
    }

    /**
     * The same grant as issued by one token: its {@code jti} (what {@code mproxy token revoke --jti} names) and its
     * {@code iat}, either null when the token has none.
     */
    public DeviceToken withIssue(String tokenId, Instant issuedAt) {
        return new DeviceToken(this, tokenId, issuedAt);
    }

    /**
     * A valid device id: not blank, at most {@value #MAX_DEVICE_ID_LENGTH} characters of ASCII letters, digits
     * and {@code . _ - @ + : , *} (it is written to logs and names recording files; limits 4.5).
     *
     * @return {@code id} unchanged
     * @throws IllegalArgumentException saying what is wrong
     */
    public static String checkDeviceId(String id) {
        Objects.requireNonNull(id, "deviceId");
        if (id.isBlank()) {
            throw new IllegalArgumentException("device id is empty");
        }
        if (id.length() > MAX_DEVICE_ID_LENGTH) {
            throw new IllegalArgumentException("device id is " + id.length() + " characters long (expected: at most "
                    + MAX_DEVICE_ID_LENGTH + ')');
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (Character.isISOControl(c)) {
                throw new IllegalArgumentException(String.format("device id %s holds control character U+%04X",
                        DomainNames.printable(id), (int) c));
            }
            if (!isSafeInDeviceId(c)) {
                // limits 4.5: ids are logged and name recording files; no bidi overrides, quotes or spaces
                throw new IllegalArgumentException(String.format("device id %s holds U+%04X at index %d (expected: "
                        + "letters, digits and . _ - @ + : , * only)", DomainNames.printable(id), (int) c, i));
            }
        }
        return id;
    }

    private static boolean isSafeInDeviceId(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || ".-_@+:,*".indexOf(c) >= 0;
    }

    /**
     * A valid public TCP port.
     *
     * @return {@code port} unchanged
     * @throws IllegalArgumentException {@code "invalid port: 0 (expected: 1 ~ 65535)"}
     */
    public static int checkPort(int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("invalid port: " + port + " (expected: 1 ~ 65535)");
        }
        return port;
    }

    /** The {@code sub} claim. */
    public String deviceId() {
        return deviceId;
    }

    /** Public TCP ports the device may serve, ascending; unmodifiable, maybe empty. */
    public SortedSet<Integer> ports() {
        return ports;
    }

    /** Normalised domain patterns the device may serve, in token order; unmodifiable, maybe empty. */
    public List<String> domains() {
        return domains;
    }

    /** When the grant ends; empty if it never does. */
    public Optional<Instant> expiresAt() {
        return Optional.ofNullable(expiresAt);
    }

    /** The token's {@code jti}, by which it can be revoked; empty for a token without one (older, or telebit's). */
    public Optional<String> tokenId() {
        return Optional.ofNullable(tokenId);
    }

    /** The token's {@code iat}; empty when it has none. */
    public Optional<Instant> issuedAt() {
        return Optional.ofNullable(issuedAt);
    }

    /** Whether the device may serve public TCP port {@code port}. */
    public boolean allowsPort(int port) {
        return ports.contains(port);
    }

    /** Whether one of {@link #domains()} covers {@code host} (see {@link DomainNames#matches}). */
    public boolean allowsHost(String host) {
        for (String pattern : domains) {
            if (DomainNames.matches(pattern, host)) {
                return true;
            }
        }
        return false;
    }

    /** Equal when they grant the same: which token issued the grant ({@code jti}, {@code iat}) does not count. */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof DeviceToken)) {
            return false;
        }
        DeviceToken that = (DeviceToken) o;
        return deviceId.equals(that.deviceId) && ports.equals(that.ports) && domains.equals(that.domains)
                && Objects.equals(expiresAt, that.expiresAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(deviceId, ports, domains, expiresAt);
    }

    @Override
    public String toString() {
        return "DeviceToken(device=" + DomainNames.printable(deviceId) + ", ports=" + ports + ", domains=" + domains
                + ", expires=" + (expiresAt == null ? "never" : expiresAt) + ')';
    }
}
