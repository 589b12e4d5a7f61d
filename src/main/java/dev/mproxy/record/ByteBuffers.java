package dev.mproxy.record;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * A data event's bytes as the buffers that hold them, in order, from each one's position to its limit: how the
 * writers take them and hand them to the file, without copying them.
 */
final class ByteBuffers {

    private ByteBuffers() {
    }

    /** How many bytes {@code buffers} hold. */
    static long remaining(ByteBuffer[] buffers) {
        long remaining = 0;
        for (ByteBuffer b : buffers) {
            remaining += b.remaining();
        }
        return remaining;
    }

    /**
     * One record, {@code header} then {@code payload}, in one gathering write, repeated only for what a short
     * write left (rule 1.2). Every buffer is drained; direct ones reach the file without a copy in user space.
     */
    static void writeRecord(GatheringByteChannel out, ByteBuffer header, ByteBuffer... payload) throws IOException {
        ByteBuffer[] record = new ByteBuffer[1 + payload.length];
        record[0] = header;
        System.arraycopy(payload, 0, record, 1, payload.length);
        int first = 0;
        while (first < record.length) {
            if (!record[first].hasRemaining()) {
                first++;
                continue;
            }
            // A blocking channel (a FileChannel) writes at least a byte, or throws.
            out.write(record, first, record.length - first);
        }
    }

    /**
     * {@code buffers}' bytes in runs of at most {@code max} bytes, each run as views on the buffers (no copy);
     * the buffers themselves are left as they are.
     */
    static List<ByteBuffer[]> chunks(ByteBuffer[] buffers, int max) {
        List<ByteBuffer[]> chunks = new ArrayList<>();
        List<ByteBuffer> chunk = new ArrayList<>();
        int room = max;
        for (ByteBuffer buffer : buffers) {
            ByteBuffer rest = buffer.duplicate();
            while (rest.hasRemaining()) {
                int n = Math.min(room, rest.remaining());
                ByteBuffer view = rest.duplicate();
                view.limit(rest.position() + n);
                rest.position(rest.position() + n);
                chunk.add(view);
                room -= n;
                if (room == 0) {
                    chunks.add(chunk.toArray(new ByteBuffer[0]));
                    chunk.clear();
                    room = max;
                }
            }
        }
        if (!chunk.isEmpty()) {
            chunks.add(chunk.toArray(new ByteBuffer[0]));
        }
        return chunks;
    }

    /** {@code buffers}' bytes in one new array; the buffers are drained. */
    static byte[] drain(ByteBuffer[] buffers) {
        long length = remaining(buffers);
        if (length > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("data of " + length + " bytes (expected: at most "
                    + (Integer.MAX_VALUE - 8) + " in one array)");
        }
        byte[] bytes = new byte[(int) length];
        int at = 0;
        for (ByteBuffer b : buffers) {
            int n = b.remaining();
            b.get(bytes, at, n);
            at += n;
        }
        return bytes;
    }
}
