package dev.mproxy.record;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * A buffered, forward-only view of a file that knows its position and can skip without reading, so readers
 * stream files of any size and never allocate more than the file still holds.
 */
final class FileInput implements Closeable {

    private static final int BUFFER_SIZE = 64 * 1024;

    private final FileChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER_SIZE);
    /** File offset of the buffer's next readable byte. */
    private long position;

    FileInput(FileChannel channel) throws IOException {
        this.channel = channel;
        this.position = channel.position();
        buffer.limit(0);
    }

    /** File offset of the next byte {@link #read()} returns. */
    long position() {
        return position;
    }

    /** Bytes left between the position and the file's current end. */
    long remaining() throws IOException {
        return Math.max(0, channel.size() - position);
    }

    /** The next byte, or -1 at the end of the file. */
    int read() throws IOException {
        if (!buffer.hasRemaining() && !fill()) {
            return -1;
        }
        position++;
        return buffer.get() & 0xff;
    }

    /** Reads up to {@code len} bytes; fewer only at the end of the file. Returns how many were read. */
    int readFully(byte[] dst, int off, int len) throws IOException {
        int done = 0;
        while (done < len) {
            if (buffer.hasRemaining()) {
                int n = Math.min(buffer.remaining(), len - done);
                buffer.get(dst, off + done, n);
                done += n;
                position += n;
            } else if (len - done >= BUFFER_SIZE) {
                // Large payloads go straight into the caller's array.
                int n = channel.read(ByteBuffer.wrap(dst, off + done, len - done));
                if (n < 0) {
                    break;
                }
                done += n;
                position += n;
            } else if (!fill()) {
                break;
            }
        }
        return done;
    }

    /** Skips up to {@code n} bytes, no further than the end of the file. Returns how many were skipped. */
    long skip(long n) throws IOException {
        if (n <= buffer.remaining()) {
            buffer.position(buffer.position() + (int) n);
            position += n;
            return n;
        }
        long skipped = Math.min(n, buffer.remaining() + remainingInChannel());
        position += skipped;
        buffer.limit(0);
        channel.position(position);
        return skipped;
    }

    private long remainingInChannel() throws IOException {
        return Math.max(0, channel.size() - channel.position());
    }

    private boolean fill() throws IOException {
        buffer.clear();
        int n = channel.read(buffer);
        buffer.flip();
        return n > 0;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
