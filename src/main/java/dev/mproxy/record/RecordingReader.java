package dev.mproxy.record;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * Reads one recording, event by event, streaming: only one record is in memory at a time and no record is
 * allocated beyond what the file holds (protocol-spec/recording.md §4). A file cut short is read up to its
 * last complete record and then reported as {@link #truncated()}; bytes that cannot be a record are a
 * {@link RecordingFormatException} naming their offset.
 */
public interface RecordingReader extends Closeable {

    /**
     * Opens {@code file} in the format its first bytes show (rule 4.1). A netrecord file keeps no start time:
     * its start is taken as the file's last-modified time less the last complete record's time, which a
     * recorder that writes each record as it happens makes the instant the stream started (rule 2.5).
     */
    static RecordingReader open(Path file) throws IOException {
        return open(file, null);
    }

    /**
     * Opens {@code file} in the format its first bytes show; a netrecord file's start is {@code netrecordStart}
     * (rule 2.5), or worked out as by {@link #open(Path)} when null. An {@code .mcrec} file's start is always
     * its own.
     */
    static RecordingReader open(Path file, Instant netrecordStart) throws IOException {
        RecordingFormat format = RecordingFormat.detect(file);
        FileInput in = new FileInput(FileChannel.open(file, StandardOpenOption.READ));
        try {
            if (format == RecordingFormat.MCREC) {
                return McrecReader.open(in, file.getFileName().toString(), false);
            }
            Instant start = netrecordStart;
            if (start == null) {
                long lastMicros = NetrecordReader.lastMicros(file);
                start = Files.getLastModifiedTime(file).toInstant().minus(lastMicros, ChronoUnit.MICROS);
            }
            return new NetrecordReader(in, file.getFileName().toString(), start);
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
    }

    RecordingFormat format();

    /**
     * What the file says about its stream. netrecord says nothing: its session has the file name as id, the
     * start of rule 2.5, null user, addresses and protocol, and no labels.
     */
    SessionInfo session();

    /**
     * The next event, or null at the end of the recording: the end of the file, the {@code .mcrec} end block,
     * or the last complete record of a file cut short (then {@link #truncated()} is true).
     *
     * @throws RecordingFormatException where the file holds bytes that cannot be the next record (rule 4.5)
     */
    RecordedEvent next() throws IOException;

    /**
     * Whether the file ended before its recording did (rules 4.3, 4.4); known once {@link #next()} has
     * returned null, false before.
     */
    boolean truncated();

    /**
     * Where and why the file was found truncated, e.g. {@code "truncated at byte 12345: data record of 4096
     * bytes has 100"}; null when it was not (or is not known yet).
     */
    String truncation();
}
