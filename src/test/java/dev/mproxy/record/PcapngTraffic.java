package dev.mproxy.record;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Recorded traffic for the pcapng tests: random events from a seed, and what each side sent. */
final class PcapngTraffic {

    private PcapngTraffic() {
    }

    /**
     * OPENED, {@code count} DATA events from the sides allowed (mostly small, some over 64 KiB so they need
     * several segments, some at the same microsecond as the one before), then both sides ENDED in random order.
     */
    static List<RecordedEvent> random(long seed, int count, boolean clientSends, boolean serverSends) {
        Random random = new Random(seed);
        List<RecordedEvent> events = new ArrayList<>();
        long micros = random.nextInt(1000);
        events.add(RecordedEvent.opened(micros));
        for (int i = 0; i < count && (clientSends || serverSends); i++) {
            Direction from = !serverSends ? Direction.FROM_CLIENT : !clientSends ? Direction.FROM_SERVER
                    : random.nextBoolean() ? Direction.FROM_CLIENT : Direction.FROM_SERVER;
            int kind = random.nextInt(10);
            int size = kind < 7 ? 1 + random.nextInt(1500) : kind < 9 ? 1500 + random.nextInt(20_000)
                    : 65_001 + random.nextInt(200_000);
            byte[] bytes = new byte[size];
            random.nextBytes(bytes);
            micros += random.nextInt(4) == 0 ? 0 : random.nextInt(5000);
            events.add(RecordedEvent.data(from, micros, bytes));
        }
        Direction first = random.nextBoolean() ? Direction.FROM_CLIENT : Direction.FROM_SERVER;
        events.add(RecordedEvent.ended(first, micros += random.nextInt(100)));
        events.add(RecordedEvent.ended(first.opposite(), micros + random.nextInt(100)));
        return events;
    }

    /** The bytes {@code from} sent, in order. */
    static byte[] sent(List<RecordedEvent> events, Direction from) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (RecordedEvent e : events) {
            if (e.kind() == RecordedEvent.Kind.DATA && e.side() == from) {
                out.writeBytes(e.bytes());
            }
        }
        return out.toByteArray();
    }

    static Path export(Path file, SessionInfo session, List<RecordedEvent> events) throws IOException {
        try (PcapngExporter exporter = new PcapngExporter(buffered(file), session)) {
            for (RecordedEvent e : events) {
                exporter.write(e);
            }
        }
        return file;
    }

    static OutputStream buffered(Path file) throws IOException {
        return new BufferedOutputStream(Files.newOutputStream(file));
    }

    /** {@code start} in microseconds since 1970, as pcapng stores it with if_tsresol 6. */
    static long micros(Instant start) {
        return start.getEpochSecond() * 1_000_000 + start.getNano() / 1000;
    }
}
