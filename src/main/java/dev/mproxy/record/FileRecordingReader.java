package dev.mproxy.record;

import java.io.IOException;

/**
 * What every {@link RecordingReader} of a file shares: the file, the session it describes, and how a read
 * stops at the last complete record of a file cut short (rules 4.3, 4.4).
 */
abstract class FileRecordingReader implements RecordingReader {

    final FileInput in;
    final SessionInfo session;
    /** Set once {@link #next()} has nothing more to return. */
    boolean done;
    /** Where and why the file ends before its recording does; null while it does not. */
    String truncation;

    FileRecordingReader(FileInput in, SessionInfo session) {
        this.in = in;
        this.session = session;
    }

    /** Ends the read at {@code offset}, the start of the incomplete record; returns null for {@link #next()}. */
    final RecordedEvent truncate(long offset, String why) {
        done = true;
        truncation = "truncated at byte " + offset + ": " + why;
        return null;
    }

    @Override
    public final SessionInfo session() {
        return session;
    }

    @Override
    public final boolean truncated() {
        return truncation != null;
    }

    @Override
    public final String truncation() {
        return truncation;
    }

    @Override
    public final void close() throws IOException {
        in.close();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + '(' + session.sessionId() + ')';
    }
}
