package dev.mproxy.rendezvous;

/**
 * Text the other end of a connection chose (a close reason, a refusal's message), made fit for a log line or
 * an error message: a peer must not be able to start a log line of its own (rendezvous 4.4).
 */
public final class RemoteText {

    /** More than any close reason (123 bytes) and any message of our gateway's. */
    static final int MAX_CHARS = 200;

    private RemoteText() {
    }

    /**
     * {@code text} in double quotes: {@code "} and {@code \} escaped; line breaks, other control characters and
     * invisible formatting characters (bidirectional overrides, say) written as {@code \n}, {@code \r} or
     * {@code \}{@code uXXXX}; cut to {@value #MAX_CHARS} characters followed by {@code ...}.
     */
    public static String quoted(String text) {
        int end = text.length();
        if (end > MAX_CHARS) {
            end = Character.isHighSurrogate(text.charAt(MAX_CHARS - 1)) ? MAX_CHARS - 1 : MAX_CHARS;
        }
        StringBuilder quoted = new StringBuilder(end + 8).append('"');
        for (int i = 0; i < end; i++) {
            char c = text.charAt(i);
            if (c == '"' || c == '\\') {
                quoted.append('\\').append(c);
            } else if (c == '\n') {
                quoted.append("\\n");
            } else if (c == '\r') {
                quoted.append("\\r");
            } else if (invisible(c)) {
                quoted.append(String.format("\\u%04x", (int) c));
            } else {
                quoted.append(c);
            }
        }
        quoted.append('"');
        return end < text.length() ? quoted.append("...").toString() : quoted.toString();
    }

    private static boolean invisible(char c) {
        int type = Character.getType(c);
        return type == Character.CONTROL || type == Character.FORMAT || type == Character.LINE_SEPARATOR
                || type == Character.PARAGRAPH_SEPARATOR;
    }
}
