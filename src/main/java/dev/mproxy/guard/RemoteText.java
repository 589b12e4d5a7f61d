package dev.mproxy.guard;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Text a remote party chose (an SNI name, a Host header, a close reason, a device id), made fit for one log line or
 * an error message: printable ASCII stays, everything else is escaped, so no peer can start a log line of its own,
 * hide text behind bidirectional overrides or fill the log (limits 5.1, rendezvous 4.4).
 */
public final class RemoteText {

    /** Enough for any close reason (123 bytes) and to tell names apart; a whole 253-character name adds nothing. */
    public static final int MAX_CHARS = 200;

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private RemoteText() {
    }

    /**
     * {@code text} in double quotes: {@code "} and {@code \} escaped; line breaks as {@code \n} and {@code \r};
     * every other character outside printable ASCII (controls, NUL, bidirectional overrides, any non-ASCII) as
     * {@code \}{@code uXXXX}; cut to {@value #MAX_CHARS} characters of input followed by {@code ...}. Null is
     * {@code null}.
     */
    public static String quoted(String text) {
        if (text == null) {
            return "null";
        }
        int end = Math.min(text.length(), MAX_CHARS);
        StringBuilder quoted = new StringBuilder(end + 8).append('"');
        for (int i = 0; i < end; i++) {
            char c = text.charAt(i);
            if (c == '"' || c == '\\') {
                quoted.append('\\').append(c);
            } else if (c == '\n') {
                quoted.append("\\n");
            } else if (c == '\r') {
                quoted.append("\\r");
            } else if (c < 0x20 || c > 0x7e) {
                quoted.append("\\u").append(HEX[c >> 12 & 0xf]).append(HEX[c >> 8 & 0xf]).append(HEX[c >> 4 & 0xf])
                        .append(HEX[c & 0xf]);
            } else {
                quoted.append(c);
            }
        }
        quoted.append('"');
        return end < text.length() ? quoted.append("...").toString() : quoted.toString();
    }

    /**
     * A short stand-in for a value that must not be logged whole (a relay id, which is all a second peer needs;
     * a token): the first 8 hex digits of its SHA-256, e.g. {@code #3f2a9c01}. Equal values have equal digests, so
     * log lines about one id can be matched.
     */
    public static String digest(String secret) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
            StringBuilder s = new StringBuilder(9).append('#');
            for (int i = 0; i < 4; i++) {
                s.append(HEX[hash[i] >> 4 & 0xf]).append(HEX[hash[i] & 0xf]);
            }
            return s.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java platform", e);
        }
    }
}
