package dev.mproxy.record;

import java.io.Closeable;
import java.io.IOException;

/**
 * Writes one recording in one format, event by event, from one thread. Each {@link #write} hands its record to
 * the file before returning (no buffering across calls), so a process that dies loses at most the record being
 * written.
 */
public interface RecordingWriter extends Closeable {

    /** Writes one event. */
    void write(RecordedEvent event) throws IOException;

    /**
     * Finishes the recording (an {@code .mcrec} gets its end block) and closes the file. Closing twice does
     * nothing.
     */
    @Override
    void close() throws IOException;
}
