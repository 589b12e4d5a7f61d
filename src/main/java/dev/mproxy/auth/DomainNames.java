package dev.mproxy.auth;

import java.util.Locale;

/**
 * Domain names a device may serve: validation, normalisation and matching.
 *
 * <p>A name is a DNS host name by RFC 1123 §2.1: dot-separated labels of 1 to 63 letters, digits and
 * hyphens, no label starting or ending with a hyphen, at most {@value #MAX_LENGTH} characters in all. Names
 * are lowercased. Refused on top of that: a trailing dot, non-ASCII (give the punycode {@code xn--} form), and
 * an all-digit last label, which would make {@code 10.0.0.1} a "name" (RFC 3696 §2).
 *
 * <p>A pattern is a name or a wildcard {@code *.name}: the {@code *} is the whole first label and appears
 * nowhere else. {@code *.example.com} matches every name that ends in {@code .example.com}, at any depth
 * ({@code a.example.com}, {@code a.b.example.com}), as telebit's device tracker did; it does not match
 * {@code example.com} itself.
 */
public final class DomainNames {

    /** RFC 1035 §2.3.4 / RFC 1123: a name's text form is at most 253 characters (255 octets on the wire). */
    public static final int MAX_LENGTH = 253;

    /** RFC 1035 §2.3.4: a label is at most 63 characters. */
    public static final int MAX_LABEL_LENGTH = 63;

    private static final String WILDCARD_PREFIX = "*.";

    private DomainNames() {
    }

    /**
     * The lowercase form of a valid name or wildcard pattern.
     *
     * @throws IllegalArgumentException naming the pattern and what is wrong with it
     */
    public static String normalizePattern(String pattern) {
        if (pattern.startsWith(WILDCARD_PREFIX)) {
            String base = pattern.substring(WILDCARD_PREFIX.length());
            if (base.isEmpty()) {
                throw invalid(pattern, "nothing follows the wildcard");
            }
            if (base.indexOf('.') < 0) {
                // limits 4.5: *.com would catch the names of every other tenant under .com whose device is offline
                throw invalid(pattern, "a wildcard needs at least two labels under it (expected: *.example.com)");
            }
            String normalized = WILDCARD_PREFIX + normalizeName(base, pattern);
            if (normalized.length() > MAX_LENGTH) {
                throw invalid(pattern, "it is " + normalized.length() + " characters long (expected: at most "
                        + MAX_LENGTH + ')');
            }
            return normalized;
        }
        return normalizeName(pattern, pattern);
    }

    /**
     * The lowercase form of a valid name; no wildcard.
     *
     * @throws IllegalArgumentException naming the name and what is wrong with it
     */
    public static String normalizeName(String name) {
        return normalizeName(name, name);
    }

    /** Whether {@code pattern} is a wildcard ({@code *.example.com}); assumes a normalised pattern. */
    public static boolean isWildcard(String pattern) {
        return pattern.startsWith(WILDCARD_PREFIX);
    }

    /**
     * Whether a normalised {@code pattern} covers {@code host}, a name as it arrives in SNI or a Host header
     * (without port). The host is compared case-insensitively and may end in one dot; a host that is not a
     * valid name matches nothing.
     */
    public static boolean matches(String pattern, String host) {
        String h = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        try {
            h = normalizeName(h);
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (isWildcard(pattern)) {
            String suffix = pattern.substring(1); // ".example.com"
            return h.length() > suffix.length() && h.endsWith(suffix);
        }
        return h.equals(pattern);
    }

    private static String normalizeName(String name, String shown) {
        if (name.isEmpty()) {
            throw invalid(shown, "it is empty");
        }
        if (name.length() > MAX_LENGTH) {
            throw invalid(shown, "it is " + name.length() + " characters long (expected: at most "
                    + MAX_LENGTH + ')');
        }
        if (name.endsWith(".")) {
            throw invalid(shown, "it ends with a dot");
        }
        String lower = name.toLowerCase(Locale.ROOT);
        int start = 0;
        String last = null;
        while (start <= lower.length()) {
            int dot = lower.indexOf('.', start);
            int end = dot < 0 ? lower.length() : dot;
            last = lower.substring(start, end);
            checkLabel(last, shown);
            start = end + 1;
        }
        if (last.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw invalid(shown, "its last label '" + last + "' is all digits (an IP address is not a name)");
        }
        return lower;
    }

    private static void checkLabel(String label, String shown) {
        if (label.isEmpty()) {
            throw invalid(shown, "it has an empty label");
        }
        if (label.length() > MAX_LABEL_LENGTH) {
            throw invalid(shown, "label '" + printable(label) + "' is " + label.length()
                    + " characters long (expected: at most " + MAX_LABEL_LENGTH + ')');
        }
        for (int i = 0; i < label.length(); i++) {
            char c = label.charAt(i);
            boolean ok = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-';
            if (!ok) {
                String what = c == '*' ? "'*' is allowed only as the whole first label, as in *.example.com"
                        : c > 0x7f ? "it is not ASCII (give its punycode xn-- form)"
                        : "label '" + printable(label) + "' holds " + describe(c)
                                + " (expected: letters, digits and hyphens)";
                throw invalid(shown, what);
            }
        }
        if (label.charAt(0) == '-' || label.charAt(label.length() - 1) == '-') {
            throw invalid(shown, "label '" + printable(label) + "' starts or ends with a hyphen");
        }
    }

    private static String describe(char c) {
        return c < 0x20 || c == 0x7f ? String.format("control character U+%04X", (int) c) : "'" + c + "'";
    }

    private static IllegalArgumentException invalid(String name, String reason) {
        return new IllegalArgumentException("invalid domain " + printable(name) + ": " + reason);
    }

    /** The name as it can be shown on one line: control characters escaped, cut after 80 characters. */
    static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && i < 80; i++) {
            char c = s.charAt(i);
            boolean invisible = Character.isISOControl(c) || Character.getType(c) == Character.FORMAT; // bidi too
            sb.append(invisible ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        return s.length() > 80 ? sb + "..." : sb.toString();
    }
}
