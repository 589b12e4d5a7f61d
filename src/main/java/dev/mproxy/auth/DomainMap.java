package dev.mproxy.auth;

import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Values keyed by domain pattern (a name or a {@code *.} wildcard, as {@link DomainNames} defines them), looked
 * up by host: the exact name first, then the longest wildcard that covers the host. Used by the gateway to
 * route a TLS server name or an HTTP host to devices, and by the connector to pick the local service.
 * Lookups may run on any thread while another thread changes the map.
 */
public final class DomainMap<T> {

    private final Map<String, T> exact = new ConcurrentHashMap<>();
    /** Wildcards by the suffix they match: {@code *.example.com} is kept as {@code .example.com}. */
    private final Map<String, T> wildcards = new ConcurrentHashMap<>();

    /**
     * Maps {@code pattern} to {@code value}; returns the value it replaced, or null.
     *
     * @throws IllegalArgumentException if {@code pattern} is not a valid name or wildcard
     */
    public T put(String pattern, T value) {
        Objects.requireNonNull(value, "value");
        String p = DomainNames.normalizePattern(pattern);
        return tableOf(p).put(keyOf(p), value);
    }

    /** The value of {@code pattern} itself (no matching), created with {@code create} if absent. */
    public T computeIfAbsent(String pattern, Function<String, T> create) {
        String p = DomainNames.normalizePattern(pattern);
        return tableOf(p).computeIfAbsent(keyOf(p), k -> create.apply(p));
    }

    /** The value of {@code pattern} itself (no matching), or null. */
    public T get(String pattern) {
        String p = DomainNames.normalizePattern(pattern);
        return tableOf(p).get(keyOf(p));
    }

    /** Removes {@code pattern} if it maps to {@code value}; returns whether it did. */
    public boolean remove(String pattern, T value) {
        String p = DomainNames.normalizePattern(pattern);
        return tableOf(p).remove(keyOf(p), value);
    }

    /**
     * The value for {@code host} as it arrives in SNI or a Host header (no port): its exact name, else the
     * longest wildcard covering it ({@code *.b.example.com} before {@code *.example.com}), else null. The host
     * is compared case-insensitively and may end in one dot; a host that is not a valid name matches nothing.
     */
    public T match(String host) {
        String h = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        try {
            h = DomainNames.normalizeName(h);
        } catch (IllegalArgumentException notAName) {
            return null;
        }
        T value = exact.get(h);
        for (int dot = h.indexOf('.'); value == null && dot >= 0; dot = h.indexOf('.', dot + 1)) {
            value = wildcards.get(h.substring(dot)); // the first suffix tried is the longest
        }
        return value;
    }

    public boolean isEmpty() {
        return exact.isEmpty() && wildcards.isEmpty();
    }

    private Map<String, T> tableOf(String normalizedPattern) {
        return DomainNames.isWildcard(normalizedPattern) ? wildcards : exact;
    }

    private static String keyOf(String normalizedPattern) {
        return DomainNames.isWildcard(normalizedPattern) ? normalizedPattern.substring(1) : normalizedPattern;
    }
}
