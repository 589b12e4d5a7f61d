package dev.mproxy.record;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Completes an {@code .mcrec} cut short, by a crash or a full disk, so MeshCentral's player opens it
 * (protocol-spec/recording.md §5): a partial trailing block is cut off and the end block appended after the
 * last complete block. Nothing before that point is touched.
 */
public final class McrecRepair {

    private McrecRepair() {
    }

    /**
     * Repairs {@code file} in place and returns how many bytes of a partial trailing block were cut off (0 when
     * the file ended on a block boundary).
     *
     * @throws RecordingFormatException when the file is not an {@code .mcrec}, or holds garbage before its end
     * @throws IOException when the file is already complete or its metadata block is incomplete, saying so
     */
    public static long repair(Path file) throws IOException {
        if (RecordingFormat.detect(file) != RecordingFormat.MCREC) {
            throw new IOException("cannot repair " + file + ": not an .mcrec recording (expected: a file that starts"
                    + " with MeshCentral's metadata block)");
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long length = channel.size();
            McrecReader reader;
            try {
                reader = McrecReader.open(new FileInput(channel), file.getFileName().toString(), true);
            } catch (EOFException e) {
                throw new IOException("cannot repair " + file + ": " + e.getMessage()
                        + " (expected: at least a whole metadata block)", e);
            }
            while (reader.next() != null) {
                // Framing only: events are not built and data is skipped (rule 5.1).
            }
            if (!reader.truncated()) {
                throw new IOException("cannot repair " + file + ": already complete, it ends with its end block"
                        + " (expected: an .mcrec without one)");
            }
            long keep = reader.completeLength();
            channel.truncate(keep);
            ByteBuffer end = ByteBuffer.wrap(Mcrec.endBlock(reader.lastMillis()));
            while (end.hasRemaining()) {
                channel.write(end, keep + end.position());
            }
            channel.force(true);
            return length - keep;
        }
    }
}
