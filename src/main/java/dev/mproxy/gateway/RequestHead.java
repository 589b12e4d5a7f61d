package dev.mproxy.gateway;

import dev.mproxy.auth.DomainNames;
import java.net.URI;
import java.util.Locale;

/**
 * What the HTTP router needs of a request head: its host, without port, lowercase (routing 3.3). Strict where
 * routing depends on it, as RFC 9112 §3.2 asks: one Host header, and the authority of an absolute-form target
 * wins over it.
 */
record RequestHead(String host) {

    /**
     * Parses a request head, from the request line to the blank line.
     *
     * @throws IllegalArgumentException saying what is malformed, for a 400 answer
     */
    static RequestHead parse(String head) {
        String[] lines = head.split("\r\n");
        if (lines[0].indexOf('\r') >= 0 || lines[0].indexOf('\n') >= 0) {
            throw new IllegalArgumentException("bare CR or LF in the request line (expected: CRLF line endings)");
        }
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
            if (line.indexOf('\r') >= 0 || line.indexOf('\n') >= 0) {
                throw new IllegalArgumentException("bare CR or LF in a header line (expected: CRLF line endings)");
            }
            if (line.charAt(0) == ' ' || line.charAt(0) == '\t') {
                throw new IllegalArgumentException("folded header line (obsolete line folding is refused)");
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("malformed header line \"" + printable(line) + '"');
            }
            char beforeColon = line.charAt(colon - 1);
            if (beforeColon == ' ' || beforeColon == '\t') {
                // RFC 9112 §5.1: "Host :" must not pass as some other header while a proxy reads it as Host
                throw new IllegalArgumentException("whitespace between a header name and its colon");
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
        if (host.endsWith(".")) {
            host = host.substring(0, host.length() - 1);
        }
        try {
            return DomainNames.normalizeName(host);
        } catch (IllegalArgumentException e) {
            if (host.startsWith("[") || host.chars().allMatch(c -> c == '.' || Character.isDigit(c))) {
                return host.toLowerCase(Locale.ROOT); // an address: valid HTTP, but no device is named so
            }
            throw new IllegalArgumentException("malformed Host: " + e.getMessage());
        }
    }

    private static String printable(String s) {
        String cut = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
