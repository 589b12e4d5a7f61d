package dev.mproxy.record;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Map;
import java.util.regex.Matcher;

/** Reads netrecord's text records (protocol-spec/recording.md §2, §4). */
final class NetrecordReader extends FileRecordingReader {

    /** The largest data record we read: the largest array the JVM allocates (rule 4.2). */
    static final int MAX_DATA = Integer.MAX_VALUE - 8;

    /** One parsed header line. */
    private static final class Header {
        final long offset;
        final Direction side;
        final long micros;
        /** {@code con}, {@code hup}, {@code err}, or null for data. */
        final String word;
        final long count;

        Header(long offset, Direction side, long micros, String word, long count) {
            this.offset = offset;
            this.side = side;
            this.micros = micros;
            this.word = word;
            this.count = count;
        }
    }

    private final byte[] line = new byte[Netrecord.MAX_HEADER_LENGTH];

    NetrecordReader(FileInput in, String name, Instant start) {
        super(in, new SessionInfo(start, name, null, null, null, null, Map.of()));
    }

    /**
     * The time of the last complete record, reading headers only and skipping data; 0 when there is none. Stops
     * quietly at garbage: {@link #next()} reports it when the caller gets there.
     */
    static long lastMicros(Path file) throws IOException {
        try (FileInput in = new FileInput(FileChannel.open(file, StandardOpenOption.READ))) {
            NetrecordReader scan = new NetrecordReader(in, "scan", Instant.EPOCH);
            long last = 0;
            try {
                Header h;
                while ((h = scan.header()) != null) {
                    if (h.word == null) {
                        if (in.skip(h.count) < h.count) {
                            break;
                        }
                    }
                    last = h.micros;
                }
            } catch (RecordingFormatException e) {
                // Left for next() to report.
            }
            return last;
        }
    }

    @Override
    public RecordingFormat format() {
        return RecordingFormat.NETRECORD;
    }

    @Override
    public RecordedEvent next() throws IOException {
        Header h = done ? null : header();
        if (h == null) {
            return null;
        }
        if (h.word != null) {
            switch (h.word) {
                case "con":
                    return RecordedEvent.opened(h.micros);
                case "hup":
                    return RecordedEvent.ended(h.side, h.micros);
                default:
                    return RecordedEvent.failed(h.side, h.micros);
            }
        }
        long available = in.remaining();
        if (h.count > available) {
            // Never allocate more than the file holds (rule 4.2).
            return truncate(h.offset, "data record of " + h.count + " bytes has " + available);
        }
        byte[] bytes = new byte[(int) h.count];
        int n = in.readFully(bytes, 0, bytes.length);
        if (n < bytes.length) {
            return truncate(h.offset, "data record of " + h.count + " bytes has " + n);
        }
        return RecordedEvent.data(h.side, h.micros, bytes);
    }

    /** The next header, or null at the end of the file or of its last complete record (then truncated). */
    private Header header() throws IOException {
        long offset = in.position();
        int length = 0;
        boolean newline = false;
        for (int b; (b = in.read()) >= 0; ) {
            if (b == '\n') {
                newline = true;
                break;
            }
            if (length == line.length) {
                throw new RecordingFormatException("a header line longer than " + line.length + " bytes: '"
                        + Netrecord.printable(line, length) + "...'", Netrecord.HEADER_SYNTAX, offset, "2.1");
            }
            line[length++] = (byte) b;
        }
        String text = new String(line, 0, length, StandardCharsets.ISO_8859_1);
        Matcher m = Netrecord.HEADER.matcher(text);
        if (!newline) {
            if (length == 0) {
                done = true;
                return null;
            }
            // A header cut by the end of the file is truncation only if it could have become one (rule 4.3).
            if (!m.matches() && !m.hitEnd()) {
                throw garbage(offset, length);
            }
            truncate(offset, "record header has " + length + " bytes and no newline");
            return null;
        }
        if (!m.matches()) {
            throw garbage(offset, length);
        }
        Direction side = Direction.ofLetter(m.group(1).charAt(0));
        // netrecord's borrow bug writes a whole second as .1000000 (rule 2.6).
        long fraction = Long.parseLong(m.group(3));
        long seconds = digits(m.group(2));
        if (seconds < 0 || seconds > (Long.MAX_VALUE - fraction) / 1_000_000) {
            throw new RecordingFormatException("a time of " + m.group(2) + " seconds",
                    "at most " + (Long.MAX_VALUE / 1_000_000 - 1) + " seconds", offset, "2.2");
        }
        long micros = seconds * 1_000_000 + fraction;
        String word = m.group(4);
        if (word.equals("con") && side != Direction.FROM_CLIENT) {
            throw new RecordingFormatException("'s ... con'", "con from the client: 'c ... con'", offset, "2.3");
        }
        if (Character.isDigit(word.charAt(0))) {
            long count = digits(word);
            if (count < 1 || count > MAX_DATA) {
                throw new RecordingFormatException("a data record of " + word + " bytes", "1 to " + MAX_DATA + " bytes",
                        offset, "2.4");
            }
            return new Header(offset, side, micros, null, count);
        }
        return new Header(offset, side, micros, word, 0);
    }

    /** Up to 19 decimal digits as a long, or -1 when they overflow one. */
    private static long digits(String s) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private RecordingFormatException garbage(long offset, int length) {
        return new RecordingFormatException("'" + Netrecord.printable(line, length) + "'", Netrecord.HEADER_SYNTAX,
                offset, "2.1");
    }

}
