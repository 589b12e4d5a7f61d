package dev.mproxy.record;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/** netrecord's text framing (protocol-spec/recording.md §2): record headers and their timestamps. */
final class Netrecord {

    /**
     * The longest header line, newline excluded: {@code c} + 19-digit seconds + 7-digit fraction + 19-digit
     * count and three separators is 49 bytes (rule 2.1).
     */
    static final int MAX_HEADER_LENGTH = 64;

    /**
     * A header line without its newline (rule 2.1). The fraction is six digits, or netrecord's
     * {@code 1000000} (rule 2.6).
     */
    static final Pattern HEADER =
            Pattern.compile("([cs]) ([0-9]{1,19})\\.([0-9]{6}|1000000) (con|hup|err|[0-9]{1,19})");

    /** What a netrecord file starts with (rule 4.1). */
    static final Pattern START = Pattern.compile("[cs] [0-9]+\\.([0-9]{6}|1000000) ");

    /** What rule 2.1 asks for, in error messages. */
    static final String HEADER_SYNTAX = "'<c|s> <seconds>.<6 digits> <con|hup|err|byte count>\\n'";

    private Netrecord() {
    }

    /** {@code <seconds>.<6-digit micros>} (rule 2.2): micros always 0 to 999999, never netrecord's borrow. */
    static String timestamp(long micros) {
        long fraction = micros % 1_000_000;
        StringBuilder s = new StringBuilder(26).append(micros / 1_000_000).append('.');
        for (long digit = 100_000; digit > fraction && digit > 1; digit /= 10) {
            s.append('0');
        }
        return s.append(fraction).toString();
    }

    /** The header line of a record, newline included. */
    static byte[] header(Direction side, long micros, String message) {
        return (side.letter() + " " + timestamp(micros) + ' ' + message + '\n').getBytes(StandardCharsets.US_ASCII);
    }

    /** A header line as printable text for error messages: at most 64 bytes, other bytes as {@code \xNN}. */
    static String printable(byte[] bytes, int length) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < Math.min(length, MAX_HEADER_LENGTH); i++) {
            int b = bytes[i] & 0xff;
            if (b >= 0x20 && b < 0x7f && b != '\\') {
                s.append((char) b);
            } else {
                s.append(String.format("\\x%02x", b));
            }
        }
        return s.toString();
    }
}
