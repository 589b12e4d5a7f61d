package dev.mproxy.record;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.GatheringByteChannel;
import java.util.Arrays;

/**
 * An {@link OutputStream} as the channel a writer writes to. Each gathering write is put together in one array
 * (a copy) and goes to the stream in one {@code write}, so an unbuffered stream still holds whole records only
 * (rule 1.2). For streams that are not files: the relay writes to a {@code FileChannel} and copies nothing.
 */
final class OutputStreamChannel implements GatheringByteChannel {

    private final OutputStream out;
    private boolean open = true;

    OutputStreamChannel(OutputStream out) {
        this.out = out;
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        if (!open) {
            throw new ClosedChannelException();
        }
        byte[] bytes = ByteBuffers.drain(Arrays.copyOfRange(srcs, offset, offset + length));
        out.write(bytes);
        return bytes.length;
    }

    @Override
    public long write(ByteBuffer[] srcs) throws IOException {
        return write(srcs, 0, srcs.length);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        return (int) write(new ByteBuffer[] {src});
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() throws IOException {
        if (open) {
            open = false;
            out.close();
        }
    }
}
