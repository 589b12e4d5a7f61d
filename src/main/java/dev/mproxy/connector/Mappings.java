package dev.mproxy.connector;

import dev.mproxy.auth.DomainMap;
import dev.mproxy.auth.DomainNames;
import dev.mproxy.tunnel.Grant;
import dev.mproxy.tunnel.StreamErrors;
import dev.mproxy.tunnel.StreamException;
import dev.mproxy.tunnel.StreamRequest;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The device's local services (protocol-spec/device-mappings.md): {@code tcp} streams by the gateway's public
 * port, {@code https} and {@code http} streams by the name the client asked for, the exact name first, then the
 * longest wildcard. Immutable; built once with {@link Builder}.
 */
public final class Mappings {

    private final Map<Integer, LocalService> tcp;
    private final DomainMap<LocalService> https;
    private final DomainMap<LocalService> http;
    private final boolean empty;
    /** The mappings in order, for {@link #served} and {@link #mismatches}. */
    private final SortedMap<Integer, LocalService> tcpSorted;
    private final SortedMap<String, LocalService> httpsSorted;
    private final SortedMap<String, LocalService> httpSorted;
    /** What {@link #toString()} says: each kind's keys in order, with their services. */
    private final String description;

    private Mappings(Builder b) {
        tcp = Map.copyOf(b.tcp);
        https = domainMap(b.https);
        http = domainMap(b.http);
        empty = b.tcp.isEmpty() && b.https.isEmpty() && b.http.isEmpty();
        tcpSorted = Collections.unmodifiableSortedMap(new TreeMap<>(b.tcp));
        httpsSorted = Collections.unmodifiableSortedMap(new TreeMap<>(b.https));
        httpSorted = Collections.unmodifiableSortedMap(new TreeMap<>(b.http));
        description = "tcp " + new TreeMap<>(b.tcp) + ", https " + new TreeMap<>(b.https) + ", http "
                + new TreeMap<>(b.http);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Only {@code tcp} mappings, public port → local service, without PROXY headers. */
    public static Mappings tcp(Map<Integer, InetSocketAddress> byPublicPort) {
        Builder b = builder();
        byPublicPort.forEach((port, address) -> b.tcp(port, new LocalService(address, ProxyProtocol.NONE)));
        return b.build();
    }

    /** Whether nothing is mapped: {@code connect} needs at least one mapping (mappings 1.3). */
    public boolean isEmpty() {
        return empty;
    }

    @Override
    public String toString() {
        return description;
    }

    /**
     * What the device serves under {@code grant}, as a user would type it: {@code tcp://gw.example.com:10022 →
     * 127.0.0.1:22}, {@code https://app.example.com → 127.0.0.1:8443}; {@code gatewayHost} names the public ports.
     */
    public List<String> served(Grant grant, String gatewayHost) {
        DomainMap<Boolean> names = new DomainMap<>();
        grant.domains().forEach(d -> names.put(d, Boolean.TRUE));
        List<String> lines = new ArrayList<>();
        tcpSorted.forEach((port, service) -> {
            if (grant.ports().contains(port)) {
                lines.add("tcp://" + gatewayHost + ':' + port + " \u2192 " + service);
            }
        });
        httpsSorted.forEach((name, service) -> {
            if (covered(names, name)) {
                lines.add("https://" + name + " \u2192 " + service);
            }
        });
        httpSorted.forEach((name, service) -> {
            if (covered(names, name)) {
                lines.add("http://" + name + " \u2192 " + service);
            }
        });
        return lines;
    }

    /**
     * What does not match between the mappings and {@code grant}, one sentence each: a mapping the gateway does
     * not serve (the token does not grant it, or the gateway refused it), and a port or name granted that no
     * mapping serves (its streams would be refused with E_NO_TARGET).
     */
    public List<String> mismatches(Grant grant) {
        DomainMap<Boolean> granted = new DomainMap<>();
        grant.domains().forEach(d -> granted.put(d, Boolean.TRUE));
        DomainMap<Boolean> mapped = new DomainMap<>();
        httpsSorted.keySet().forEach(n -> mapped.put(n, Boolean.TRUE));
        httpSorted.keySet().forEach(n -> mapped.put(n, Boolean.TRUE));
        List<String> lines = new ArrayList<>();
        for (int port : tcpSorted.keySet()) {
            if (!grant.ports().contains(port)) {
                lines.add("--tcp " + port + " is mapped but the gateway does not serve port " + port + " for this "
                        + "token: make a token with --port " + port + " (or see the gateway's refusal above)");
            }
        }
        for (String name : union(httpsSorted.keySet(), httpSorted.keySet())) {
            if (!covered(granted, name)) {
                lines.add(name + " is mapped but the gateway does not serve it for this token: make a token with "
                        + "--domain " + name);
            }
        }
        for (int port : grant.ports()) {
            if (!tcpSorted.containsKey(port)) {
                lines.add("port " + port + " is granted but not mapped: its connections will be refused; add --tcp "
                        + port + "=HOST:PORT");
            }
        }
        for (String domain : grant.domains()) {
            if (!covered(mapped, domain)) {
                lines.add("name " + domain + " is granted but not mapped: its connections will be refused; add "
                        + "--https " + domain + "=HOST:PORT or --http " + domain + "=HOST:PORT");
            }
        }
        return lines;
    }

    /** Whether {@code names} covers {@code name}, a wildcard {@code *.x} by any name under x. */
    private static boolean covered(DomainMap<Boolean> names, String name) {
        return names.match(name.startsWith("*.") ? "a" + name.substring(1) : name) != null;
    }

    private static SortedSet<String> union(Set<String> a, Set<String> b) {
        SortedSet<String> all = new TreeSet<>(a);
        all.addAll(b);
        return all;
    }

    /**
     * The local service for {@code request}: a {@code tcp} stream by its service port, {@code https} and
     * {@code http} by name (mappings 2.2).
     *
     * @throws StreamException {@code E_NO_TARGET} naming what was asked for, when nothing is mapped (mappings 3.1)
     */
    LocalService find(StreamRequest request) throws StreamException {
        LocalService found;
        String asked;
        switch (request.service()) {
            case "tcp":
                found = tcp.get(portOf(request.servicePort()));
                asked = "tcp port " + request.servicePort();
                break;
            case "https":
                found = https.match(request.name());
                asked = "https name " + nameOf(request);
                break;
            case "http":
                found = http.match(request.name());
                asked = "http name " + nameOf(request);
                break;
            default:
                found = null;
                asked = "service '" + request.service() + '\'';
        }
        if (found == null) {
            throw new StreamException(StreamErrors.NO_TARGET, "no local service is mapped to " + asked);
        }
        return found;
    }

    private static DomainMap<LocalService> domainMap(Map<String, LocalService> byPattern) {
        DomainMap<LocalService> map = new DomainMap<>();
        byPattern.forEach(map::put);
        return map;
    }

    private static int portOf(String servicePort) {
        try {
            return Integer.parseInt(servicePort);
        } catch (NumberFormatException e) {
            return -1; // no mapping has it
        }
    }

    private static String nameOf(StreamRequest request) {
        return request.name().isEmpty() ? "(none)" : request.name();
    }

    /** Collects mappings; each public port, and each name per service, may be mapped once (mappings 1.3). */
    public static final class Builder {

        private final Map<Integer, LocalService> tcp = new HashMap<>();
        /** Name or wildcard, normalised, → local service: duplicates are found here, lookups use a DomainMap. */
        private final Map<String, LocalService> https = new HashMap<>();
        private final Map<String, LocalService> http = new HashMap<>();

        private Builder() {
        }

        /** @throws IllegalArgumentException if the port is out of range or already mapped */
        public Builder tcp(int publicPort, LocalService service) {
            if (publicPort < 1 || publicPort > 65535) {
                throw new IllegalArgumentException("public port " + publicPort + " (expected: 1 to 65535)");
            }
            putOnce(tcp, publicPort, service, "public port " + publicPort);
            return this;
        }

        /** @throws IllegalArgumentException if the name or wildcard is not valid, or is already mapped */
        public Builder https(String pattern, LocalService service) {
            return name(https, "https", pattern, service);
        }

        /** @throws IllegalArgumentException if the name or wildcard is not valid, or is already mapped */
        public Builder http(String pattern, LocalService service) {
            return name(http, "http", pattern, service);
        }

        public Mappings build() {
            return new Mappings(this);
        }

        private Builder name(Map<String, LocalService> table, String service, String pattern, LocalService target) {
            String p = DomainNames.normalizePattern(pattern);
            putOnce(table, p, target, service + " name " + p);
            return this;
        }

        private static <K> void putOnce(Map<K, LocalService> table, K key, LocalService service, String what) {
            Objects.requireNonNull(service, "service");
            if (table.putIfAbsent(key, service) != null) {
                throw new IllegalArgumentException(what + " is mapped twice");
            }
        }
    }
}
