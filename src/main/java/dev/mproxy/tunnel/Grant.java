package dev.mproxy.tunnel;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mproxy.auth.DomainNames;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * What a tunnel serves once authenticated, and what of its token it does not, with why (protocol-spec/control.md
 * 2.4). On the wire it is telebit's {@code grant}, an array of entries telebit's device prints and its relay
 * sends, {@code [["https", NAME], ["tcp", HOST, [PORT]], ...]}, preceded by one {@code [0, {"message", "code",
 * "port"|"domain"}]} per refusal, which telebit's device only prints. Immutable.
 */
public final class Grant {

    /** The entry kinds of telebit's grant this project reads; others ({@code ssh}, ...) only describe these. */
    private static final String HTTPS = "https";
    private static final String SSH_HTTPS = "ssh+https";
    private static final String TCP = "tcp";

    private final SortedSet<Integer> ports;
    private final List<String> domains;
    private final List<Refusal> refused;

    /**
     * @param ports   public TCP ports served; kept ascending, duplicates collapse
     * @param domains names served, in order; duplicates collapse
     * @param refused what was asked for and not granted
     */
    public Grant(Collection<Integer> ports, Collection<String> domains, List<Refusal> refused) {
        this.ports = Collections.unmodifiableSortedSet(new TreeSet<>(ports));
        this.domains = List.copyOf(new LinkedHashSet<>(domains));
        this.refused = List.copyOf(refused);
    }

    /** One port or name a token asked for and the gateway does not serve, with a code and a reason. */
    public record Refusal(String code, String message, Integer port, String domain) {
        public Refusal {
            Objects.requireNonNull(code, "code");
            Objects.requireNonNull(message, "message");
            if ((port == null) == (domain == null)) {
                throw new IllegalArgumentException("a refusal names a port or a domain (expected: exactly one)");
            }
        }

        public static Refusal port(int port, String code, String message) {
            return new Refusal(code, message, port, null);
        }

        public static Refusal domain(String domain, String code, String message) {
            return new Refusal(code, message, null, domain);
        }

        /**
         * The refusal in a control error tied to no request, {@code [0, {"message", "code", "port"|"domain"}]},
         * or null when {@code error} (the second element) names neither.
         */
        public static Refusal fromError(JsonNode error) {
            JsonNode port = error.path("port");
            JsonNode domain = error.path("domain");
            String code = error.path("code").asText("E_REFUSED");
            String message = error.path("message").asText("");
            if (port.isIntegralNumber() && port.canConvertToInt()) {
                return port(port.intValue(), code, message);
            }
            return domain.isTextual() ? domain(domain.textValue(), code, message) : null;
        }

        @Override
        public String toString() {
            return (port != null ? "port " + port : "domain " + domain) + ": " + message + " (" + code + ')';
        }
    }

    /**
     * Telebit's grant entries for this grant: {@code ["https", NAME]} for each name, {@code ["tcp", HOST,
     * [PORT]]} for each port, where {@code host} is the name public clients reach the ports by.
     */
    public List<List<Object>> toTelebit(String host) {
        List<List<Object>> entries = new ArrayList<>();
        for (String domain : domains) {
            entries.add(List.of(HTTPS, domain));
        }
        for (int port : ports) {
            entries.add(List.of(TCP, host, List.of(port)));
        }
        return entries;
    }

    /**
     * Reads telebit's grant entries, as this gateway and telebit's relay send them: names from {@code https}
     * and {@code ssh+https} entries, ports from {@code tcp} entries (one port or an array of them). Entries of
     * other kinds, and null names or ports (the relay's for a token without domains), are skipped, and so are
     * names that are not names and ports out of range; names are lowercased.
     *
     * @param refused the refusals that came before the grant
     * @throws IllegalArgumentException when {@code entries} is not an array of arrays
     */
    public static Grant fromTelebit(JsonNode entries, List<Refusal> refused) {
        if (!entries.isArray()) {
            throw new IllegalArgumentException("grant " + entries + " is not an array (expected: [[kind, name, "
                    + "...], ...])");
        }
        List<Integer> ports = new ArrayList<>();
        List<String> domains = new ArrayList<>();
        for (JsonNode entry : entries) {
            if (!entry.isArray()) {
                throw new IllegalArgumentException("grant entry " + entry + " is not an array (expected: [kind, "
                        + "name, ...])");
            }
            String kind = entry.path(0).asText("");
            if ((HTTPS.equals(kind) || SSH_HTTPS.equals(kind)) && entry.path(1).isTextual()) {
                try {
                    domains.add(DomainNames.normalizePattern(entry.get(1).textValue()));
                } catch (IllegalArgumentException e) {
                    // skipped like a port out of range: no gateway routes such a name (control 2.4)
                }
            } else if (TCP.equals(kind)) {
                JsonNode port = entry.path(2);
                for (JsonNode p : port.isArray() ? port : List.of(port)) {
                    // the relay repeats the token's own values, which may be decimal strings
                    int value = p.isIntegralNumber() && p.canConvertToInt() ? p.intValue()
                            : p.isTextual() && p.textValue().matches("[1-9][0-9]{0,4}") ? Integer.parseInt(p.textValue())
                            : 0;
                    if (value >= 1 && value <= 65535) {
                        ports.add(value);
                    }
                }
            }
        }
        return new Grant(ports, domains, refused);
    }

    /** Public TCP ports served, ascending; unmodifiable. */
    public SortedSet<Integer> ports() {
        return ports;
    }

    /** Names served, in order; unmodifiable. */
    public List<String> domains() {
        return domains;
    }

    /** What was asked for and is not served, with why. */
    public List<Refusal> refused() {
        return refused;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Grant g && ports.equals(g.ports) && domains.equals(g.domains) && refused.equals(g.refused);
    }

    @Override
    public int hashCode() {
        return Objects.hash(ports, domains, refused);
    }

    @Override
    public String toString() {
        return "ports " + ports + (domains.isEmpty() ? "" : ", domains " + domains)
                + (refused.isEmpty() ? "" : ", refused " + refused);
    }
}
