package dev.mproxy.record;

import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
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
                new InetSocketAddress("127.0.0.1", 8080), "tcp", Map.of("service", "ssh", "gatewayPort", "2222"));
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

    /** Writes {@code events} through an unbuffered {@link FileOutputStream}, as the relay will. */
    static Path write(Path file, RecordingFormat format, SessionInfo session, List<RecordedEvent> events)
            throws IOException {
        try (RecordingWriter writer = format.open(new FileOutputStream(file.toFile()), session)) {
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

    /** Records each {@code write} call's bytes, to check one call per record (rule 1.2). */
    static final class WriteLog extends OutputStream {
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

        byte[] all() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            writes.forEach(out::writeBytes);
            return out.toByteArray();
        }
    }
}
