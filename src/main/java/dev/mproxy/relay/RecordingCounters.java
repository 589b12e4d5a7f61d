package dev.mproxy.relay;

import java.util.concurrent.atomic.LongAdder;

/**
 * What a {@link Recorder}'s recordings have written and how many failed, over all of them, for metrics. Updated by
 * the writer threads, readable from any thread.
 */
public final class RecordingCounters {

    private final LongAdder bytes = new LongAdder();
    private final LongAdder failures = new LongAdder();

    RecordingCounters() {
    }

    /** Stream bytes written into recordings (the data, not the files' own framing). */
    public long bytesRecorded() {
        return bytes.sum();
    }

    /** Recordings that failed (the disk, the writer thread stopping): each closed its stream. */
    public long failures() {
        return failures.sum();
    }

    void recorded(int length) {
        bytes.add(length);
    }

    void failed() {
        failures.increment();
    }
}
