package dev.mproxy.gateway;

import dev.mproxy.auth.DomainNames;
import io.netty.util.NetUtil;
import java.net.URI;
import java.util.Locale;

/**
 * What the HTTP router needs of a request head: its host, without port, lowercase (routing 3.1). Strict where
 * routing depends on it, as RFC 9112 §3.2 asks: one Host header, and the authority of an absolute-form target
 * wins over it; and strict about line ends, field names and the host's form (routing 3.5).
 */
record RequestHead(String host) {

    /**
     * Parses a request head, from the request line to the blank line.
     *
     * @throws IllegalArgumentException saying what is malformed, for a 400 answer
     */
    static RequestHead parse(String head) {
        int bare = bareLineEnd(head);
        if (bare >= 0) {
            throw new IllegalArgumentException("bare CR or LF at byte " + bare
                    + " of the request head (expected: lines ending with CRLF)");
        }
        String[] lines = head.split("\r\n", -1); // -1: a head of blank lines still has a (bad) request line
        String[] requestLine = lines[0].split(" ", -1);
        if (requestLine.length != 3 || requestLine[0].isEmpty() || requestLine[1].isEmpty()
                || !requestLine[2].startsWith("HTTP/1.")) {
            throw new IllegalArgumentException("malformed request line \"" + printable(lines[0])
                    + "\" (expected: METHOD TARGET HTTP/1.x)");
        }
        String hostHeader = null;
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            if (line.isEmpty()) {
                break;
            }
            if (line.charAt(0) == ' ' || line.charAt(0) == '\t') {
                throw new IllegalArgumentException("folded header line (obsolete line folding is refused)");
            }
            int colon = line.indexOf(':');
            if (colon <= 0 || !isToken(line, colon)) {
                throw new IllegalArgumentException("malformed header line \"" + printable(line)
                        + "\" (expected: name: value, the name a token with no space before the colon)");
            }
            if (line.regionMatches(true, 0, "host", 0, 4) && colon == 4) {
                if (hostHeader != null) {
                    throw new IllegalArgumentException("more than one Host header");
                }
                hostHeader = line.substring(colon + 1).trim();
            }
        }
        String authority = hostHeader;
        String target = requestLine[1];
        if (target.regionMatches(true, 0, "http://", 0, 7) || target.regionMatches(true, 0, "https://", 0, 8)) {
            try {
                authority = URI.create(target).getRawAuthority();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("malformed request target \"" + printable(target) + '"');
            }
        }
        if (authority == null || authority.isEmpty()) {
            throw new IllegalArgumentException("no Host header (expected: the name of the site)");
        }
        return new RequestHead(hostOf(authority));
    }

    /** The host of {@code host[:port]}, lowercase; a name the gateway could route, or an error. */
    private static String hostOf(String authority) {
        String host = authority;
        int colon = authority.lastIndexOf(':');
        if (colon >= 0 && !authority.endsWith("]")) {
            String port = authority.substring(colon + 1);
            if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(Character::isDigit)) {
                throw new IllegalArgumentException("malformed Host \"" + printable(authority) + '"');
            }
            host = authority.substring(0, colon);
        }
        if (host.startsWith("[") && host.endsWith("]")
                && NetUtil.isValidIpV6Address(host.substring(1, host.length() - 1))) {
            return host.toLowerCase(Locale.ROOT); // an address: valid HTTP, but no device is named so
        }
        if (host.endsWith(".")) {
            host = host.substring(0, host.length() - 1);
        }
        if (NetUtil.isValidIpV4Address(host)) {
            return host;
        }
        try {
            return DomainNames.normalizeName(host);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("malformed Host (expected: a name, an IPv4 address or an IPv6 "
                    + "address in brackets): " + e.getMessage());
        }
    }

    /** RFC 9110 §5.6.2: a field name is a token, so nothing, not even a space, comes before the colon. */
    private static boolean isToken(String line, int end) {
        for (int i = 0; i < end; i++) {
            char c = line.charAt(i);
            boolean tchar = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!tchar) {
                return false;
            }
        }
        return true;
    }

    /** The index of the first CR not followed by LF or LF not after CR (routing 3.5), or -1. */
    private static int bareLineEnd(String head) {
        for (int i = 0; i < head.length(); i++) {
            char c = head.charAt(i);
            if (c == '\r' && (i + 1 == head.length() || head.charAt(i + 1) != '\n')
                    || c == '\n' && (i == 0 || head.charAt(i - 1) != '\r')) {
                return i;
            }
        }
        return -1;
    }

    private static String printable(String s) {
        String cut = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
