package dev.mproxy.cli;

import dev.mproxy.files.SecureFiles;
import dev.mproxy.record.RecordingFormat;
import dev.mproxy.relay.Recorder;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --record DIR} and {@code --record-format}: each stream, and each rendezvous pair, recorded to its own file
 * (recording.md 6.8, rendezvous.md 5).
 */
final class StreamRecordOptions {

    @Option(names = "--record", paramLabel = "DIR",
            description = "Record every stream (and, on the gateway, every rendezvous relay pair) to its own file in "
                + "DIR, named <UTC time>_<device>_<service>-<name or port>_<client address>_<n>; created 0700 when "
                + "missing, files 0600. Bytes are forwarded only once recorded; a stream whose recording fails is "
                + "reset. Read them with 'mproxy inspect'.")
    Path directory;

    @Option(names = "--record-format", paramLabel = "FORMAT", defaultValue = "mcrec",
            converter = Converters.Format.class, description = "mcrec (MeshCentral's format, keeps addresses and times) or netrecord (default: "
                + "${DEFAULT-VALUE}).")
    RecordingFormat format;

    /** The recorder the options ask for, or null without {@code --record}. */
    Recorder open() {
        if (directory == null) {
            return null;
        }
        try {
            return Recorder.inDirectory(directory, format);
        } catch (IOException e) {
            throw CommandException.failure("cannot record to " + directory + " (--record): " + SecureFiles.reason(e));
        }
    }
}
