package dev.mproxy.record;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Writes netrecord's text records (protocol-spec/recording.md §2), one {@code out.write} per record so an
 * unbuffered file holds only whole records between calls (rule 1.2).
 */
final class NetrecordWriter implements RecordingWriter {

    /** Room for the longest header in the largest array the JVM allocates (rule 2.4). */
    static final int MAX_WRITTEN_DATA = Integer.MAX_VALUE - 8 - Netrecord.MAX_HEADER_LENGTH - 1;

    private final OutputStream out;
    private final int maxData;
    private boolean closed;

    NetrecordWriter(OutputStream out, int maxData) {
        if (maxData < 1) {
            throw new IllegalArgumentException("maxData: " + maxData + " (expected: >= 1)");
        }
        this.out = out;
        this.maxData = maxData;
    }

    @Override
    public void write(RecordedEvent event) throws IOException {
        if (closed) {
            throw new IOException("recording closed");
        }
        switch (event.kind()) {
            case OPENED:
                out.write(Netrecord.header(Direction.FROM_CLIENT, event.micros(), "con"));
                break;
            case ENDED:
                out.write(Netrecord.header(event.side(), event.micros(), "hup"));
                break;
            case FAILED:
                out.write(Netrecord.header(event.side(), event.micros(), "err"));
                break;
            case DATA:
                writeData(event);
                break;
            default:
                throw new IllegalArgumentException("unknown event kind: " + event.kind());
        }
    }

    private void writeData(RecordedEvent event) throws IOException {
        byte[] bytes = event.bytes();
        // Only an event too large for one array is split, into records with the same time (rule 2.4).
        for (int offset = 0; offset < bytes.length; offset += maxData) {
            int length = Math.min(maxData, bytes.length - offset);
            byte[] header = Netrecord.header(event.side(), event.micros(), Integer.toString(length));
            byte[] record = new byte[header.length + length];
            System.arraycopy(header, 0, record, 0, header.length);
            System.arraycopy(bytes, offset, record, header.length, length);
            out.write(record);
        }
    }

    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            out.close();
        }
    }

    @Override
    public String toString() {
        return "NetrecordWriter" + (closed ? "(closed)" : "");
    }
}
