package dev.mproxy.record;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.GatheringByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Shared helpers for the record tests: sessions, random event sequences, files written and read back. */
final class RecordingFiles {

    static final Instant START = Instant.parse("2024-05-06T07:08:09.123456Z");

    private RecordingFiles() {
    }

    static SessionInfo session() {
        return new SessionInfo(START, "stream-7", "device-1", new InetSocketAddress("203.0.113.5", 51000),
                new InetSocketAddress("127.0.0.1", 8080), "1", Map.of("service", "ssh", "gatewayPort", "2222"));
    }

    /**
     * A plausible stream: OPENED, data both ways (sizes 1..maxSize, bytes including NUL and newline), then each
     * side ending or failing. Times never go back; some gaps are whole seconds.
     */
    static List<RecordedEvent> randomEvents(long seed, int count, int maxSize) {
        Random random = new Random(seed);
        List<RecordedEvent> events = new ArrayList<>();
        long micros = random.nextInt(1000);
        events.add(RecordedEvent.opened(micros));
        for (int i = 0; i < count; i++) {
            micros += random.nextBoolean() ? random.nextInt(2000) : 1_000_000L * random.nextInt(3);
            Direction side = random.nextBoolean() ? Direction.FROM_CLIENT : Direction.FROM_SERVER;
            byte[] bytes = new byte[1 + random.nextInt(maxSize)];
            random.nextBytes(bytes);
            if (bytes.length > 2) {
                bytes[0] = '\n';
                bytes[1] = 0;
            }
            events.add(RecordedEvent.data(side, micros, bytes));
        }
        micros += random.nextInt(5_000_000);
        events.add(random.nextBoolean() ? RecordedEvent.ended(Direction.FROM_CLIENT, micros)
                : RecordedEvent.failed(Direction.FROM_CLIENT, micros));
        micros += random.nextInt(3000);
        events.add(random.nextBoolean() ? RecordedEvent.ended(Direction.FROM_SERVER, micros)
                : RecordedEvent.failed(Direction.FROM_SERVER, micros));
        return events;
    }

    /** Writes {@code events} to a new file through its {@link FileChannel}, as the relay does. */
    static Path write(Path file, RecordingFormat format, SessionInfo session, List<RecordedEvent> events)
            throws IOException {
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try (RecordingWriter writer = format.open(channel, session)) {
            for (RecordedEvent event : events) {
                writer.write(event);
            }
        }
        return file;
    }

    /** Every event of {@code file}, failing if it is truncated. */
    static List<RecordedEvent> readAll(RecordingReader reader) throws IOException {
        List<RecordedEvent> events = new ArrayList<>();
        for (RecordedEvent e; (e = reader.next()) != null; ) {
            events.add(e);
        }
        return events;
    }

    /** A copy of {@code file}'s first {@code length} bytes, as a crash would leave it. */
    static Path cut(Path file, long length, Path to) throws IOException {
        byte[] all = Files.readAllBytes(file);
        return Files.write(to, Arrays.copyOf(all, (int) length));
    }

    /**
     * Records each gathering write: its bytes, to check one write per record (rule 1.2), and the buffers it was
     * given, to check the payload's own buffers reach the file. With {@code maxPerWrite}, writes are short.
     */
    static final class WriteLog implements GatheringByteChannel {
        final List<byte[]> writes = new ArrayList<>();
        final List<List<ByteBuffer>> buffers = new ArrayList<>();
        private final int maxPerWrite;
        boolean closed;

        WriteLog() {
            this(Integer.MAX_VALUE);
        }

        WriteLog(int maxPerWrite) {
            this.maxPerWrite = maxPerWrite;
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            if (closed) {
                throw new ClosedChannelException();
            }
            buffers.add(List.of(Arrays.copyOfRange(srcs, offset, offset + length)));
            ByteArrayOutputStream written = new ByteArrayOutputStream();
            for (int i = offset; i < offset + length && written.size() < maxPerWrite; i++) {
                ByteBuffer src = srcs[i];
                byte[] part = new byte[Math.min(src.remaining(), maxPerWrite - written.size())];
                src.get(part);
                written.writeBytes(part);
            }
            writes.add(written.toByteArray());
            return written.size();
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
            return !closed;
        }

        @Override
        public void close() {
            closed = true;
        }

        byte[] all() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            writes.forEach(out::writeBytes);
            return out.toByteArray();
        }
    }

    /** Records each {@code write} call's bytes, for writers on a stream. */
    static final class StreamLog extends OutputStream {
        final List<byte[]> writes = new ArrayList<>();
        boolean closed;

        @Override
        public void write(int b) {
            writes.add(new byte[] {(byte) b});
        }

        @Override
        public void write(byte[] b, int off, int len) {
            writes.add(Arrays.copyOfRange(b, off, off + len));
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
