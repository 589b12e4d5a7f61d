package dev.mproxy.testing;

import dev.mproxy.record.Direction;
import dev.mproxy.record.RecordedEvent;
import dev.mproxy.record.RecordedEvent.Kind;
import dev.mproxy.record.RecordingReader;
import dev.mproxy.record.SessionInfo;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A recording read back whole: its events, how each side ended, and the bytes of each direction put together. */
public final class RecordingContents {

    public final List<RecordedEvent> events = new ArrayList<>();
    public final List<Direction> ended = new ArrayList<>();
    public final List<Direction> failed = new ArrayList<>();
    public SessionInfo session;
    public byte[] fromClient;
    public byte[] fromServer;
    public boolean truncated;

    private RecordingContents() {
    }

    public static RecordingContents read(Path file) throws IOException {
        RecordingContents r = new RecordingContents();
        ByteArrayOutputStream client = new ByteArrayOutputStream();
        ByteArrayOutputStream server = new ByteArrayOutputStream();
        try (RecordingReader reader = RecordingReader.open(file)) {
            r.session = reader.session();
            RecordedEvent e;
            while ((e = reader.next()) != null) {
                r.events.add(e);
                if (e.kind() == Kind.DATA) {
                    (e.side() == Direction.FROM_CLIENT ? client : server).write(e.bytes());
                } else if (e.kind() == Kind.ENDED) {
                    r.ended.add(e.side());
                } else if (e.kind() == Kind.FAILED) {
                    r.failed.add(e.side());
                }
            }
            r.truncated = reader.truncated();
        }
        r.fromClient = client.toByteArray();
        r.fromServer = server.toByteArray();
        return r;
    }
}
