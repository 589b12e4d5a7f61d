package dev.mproxy.record;

import java.nio.ByteBuffer;
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
        ByteBuffer s = ByteBuffer.allocate(MAX_HEADER_LENGTH);
        putTimestamp(s, micros);
        return new String(s.array(), 0, s.position(), StandardCharsets.US_ASCII);
    }

    /**
     * Puts the header line of an OPENED, ENDED or FAILED record, newline included, at {@code out}'s position:
     * {@code word} is {@code con}, {@code hup} or {@code err}.
     */
    static void putHeader(ByteBuffer out, Direction side, long micros, String word) {
        putStart(out, side, micros);
        for (int i = 0; i < word.length(); i++) {
            out.put((byte) word.charAt(i));
        }
        out.put((byte) '\n');
    }

    /** Puts the header line of a data record of {@code count} bytes, newline included, at {@code out}'s position. */
    static void putHeader(ByteBuffer out, Direction side, long micros, int count) {
        putStart(out, side, micros);
        putDecimal(out, count, 1);
        out.put((byte) '\n');
    }

    /** {@code <side> <seconds>.<fraction> }, the digits put straight in: no String per record. */
    private static void putStart(ByteBuffer out, Direction side, long micros) {
        out.put((byte) side.letter()).put((byte) ' ');
        putTimestamp(out, micros);
        out.put((byte) ' ');
    }

    private static void putTimestamp(ByteBuffer out, long micros) {
        putDecimal(out, micros / 1_000_000, 1);
        out.put((byte) '.');
        putDecimal(out, micros % 1_000_000, 6);
    }

    /** {@code value} (not negative) in decimal, left-padded with zeros to {@code minDigits}. */
    private static void putDecimal(ByteBuffer out, long value, int minDigits) {
        int digits = 1;
        for (long rest = value / 10; rest > 0; rest /= 10) {
            digits++;
        }
        digits = Math.max(digits, minDigits);
        int start = out.position();
        for (int i = start + digits - 1; i >= start; i--) {
            out.put(i, (byte) ('0' + value % 10));
            value /= 10;
        }
        out.position(start + digits);
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
