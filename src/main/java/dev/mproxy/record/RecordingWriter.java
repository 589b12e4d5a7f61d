package dev.mproxy.record;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Writes one recording in one format, event by event, from one thread. Each write hands its record to the file
 * before returning (no buffering across calls), so a process that dies loses at most the record being written
 * (rule 1.2).
 */
public interface RecordingWriter extends Closeable {

    /** Writes one event. */
    void write(RecordedEvent event) throws IOException;

    /**
     * Writes a DATA event whose bytes are what {@code payload} holds, in order, from each buffer's position to its
     * limit: binary data, or a text message when {@code text} (rule 3.3). No bytes, no event: nothing is
     * written. The writer may move the buffers' positions and keeps no reference to them once it returns, so
     * the caller may then free them.
     *
     * <p>The formats' writers hand the buffers to the file as they are, in the record's one gathering write:
     * the bytes of direct buffers are never copied in user space. This default copies them into a
     * {@link RecordedEvent}, for writers off the relay's path.
     */
    default void writeData(Direction from, long micros, boolean text, ByteBuffer... payload) throws IOException {
        if (ByteBuffers.remaining(payload) == 0) {
            return;
        }
        byte[] bytes = ByteBuffers.drain(payload);
        write(text ? RecordedEvent.text(from, micros, bytes) : RecordedEvent.data(from, micros, bytes));
    }

    /**
     * Finishes the recording (an {@code .mcrec} gets its end block) and closes the file. Closing twice does
     * nothing.
     */
    @Override
    void close() throws IOException;
}
