package dev.mproxy.record;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.util.Collections;
import java.util.List;

/**
 * Writes netrecord's text records (protocol-spec/recording.md §2), each in one gathering write of its header
 * line and its bytes (rule 1.2). netrecord has no text messages: text is written as data (rule 2.3).
 */
final class NetrecordWriter implements RecordingWriter {

    /** Room for the longest header in the largest array a reader allocates (rule 2.4). */
    static final int MAX_WRITTEN_DATA = Integer.MAX_VALUE - 8 - Netrecord.MAX_HEADER_LENGTH - 1;

    private final GatheringByteChannel out;
    private final int maxData;
    /** Each header line is formatted here; direct, so the gathering write copies nothing. */
    private final ByteBuffer header = ByteBuffer.allocateDirect(Netrecord.MAX_HEADER_LENGTH + 1);
    private boolean closed;

    NetrecordWriter(GatheringByteChannel out, int maxData) {
        if (maxData < 1) {
            throw new IllegalArgumentException("maxData: " + maxData + " (expected: >= 1)");
        }
        this.out = out;
        this.maxData = maxData;
    }

    @Override
    public void write(RecordedEvent event) throws IOException {
        switch (event.kind()) {
            case OPENED:
                writeEvent(Direction.FROM_CLIENT, event.micros(), "con");
                break;
            case ENDED:
                writeEvent(event.side(), event.micros(), "hup");
                break;
            case FAILED:
                writeEvent(event.side(), event.micros(), "err");
                break;
            case DATA:
                writeData(event.side(), event.micros(), event.isText(), ByteBuffer.wrap(event.bytes()));
                break;
            default:
                throw new IllegalArgumentException("unknown event kind: " + event.kind());
        }
    }

    @Override
    public void writeData(Direction from, long micros, boolean text, ByteBuffer... payload) throws IOException {
        requireOpen();
        long length = ByteBuffers.remaining(payload);
        // Only an event too large for a reader's array is split, into records with the same time (rule 2.4).
        List<ByteBuffer[]> records = length <= maxData ? Collections.singletonList(payload)
                : ByteBuffers.chunks(payload, maxData);
        for (ByteBuffer[] record : records) {
            long count = ByteBuffers.remaining(record);
            if (count > 0) {
                header.clear();
                Netrecord.putHeader(header, from, micros, (int) count);
                ByteBuffers.writeRecord(out, header.flip(), record);
            }
        }
    }

    private void writeEvent(Direction side, long micros, String word) throws IOException {
        requireOpen();
        header.clear();
        Netrecord.putHeader(header, side, micros, word);
        ByteBuffers.writeRecord(out, header.flip());
    }

    private void requireOpen() throws IOException {
        if (closed) {
            throw new IOException("recording closed");
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
