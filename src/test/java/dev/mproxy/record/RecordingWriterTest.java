package dev.mproxy.record;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What every writer gets from {@link RecordingWriter#writeData}'s default: a copy, as one event. */
@Timeout(10)
class RecordingWriterTest {

    private final List<RecordedEvent> events = new ArrayList<>();
    private final RecordingWriter writer = new RecordingWriter() {
        @Override
        public void write(RecordedEvent event) {
            events.add(event);
        }

        @Override
        public void close() {
        }
    };

    @Test
    void dataInBuffersBecomesOneEventWithItsOwnCopy() throws Exception {
        ByteBuffer first = ByteBuffer.allocateDirect(4).put(ascii("ab")).flip();
        ByteBuffer second = ByteBuffer.wrap(ascii("xcdx"), 1, 2);
        writer.writeData(Direction.FROM_CLIENT, 5, false, first, second);
        writer.writeData(Direction.FROM_SERVER, 6, true, ByteBuffer.wrap(ascii("{}")));
        assertEquals(List.of(RecordedEvent.data(Direction.FROM_CLIENT, 5, ascii("abcd")),
                RecordedEvent.text(Direction.FROM_SERVER, 6, ascii("{}"))), events);
        first.clear().put(ascii("zz"));
        assertEquals("abcd", new String(events.get(0).bytes(), StandardCharsets.US_ASCII), "not a view");
    }

    @Test
    void noBytesIsNoEvent() throws Exception {
        writer.writeData(Direction.FROM_CLIENT, 5, true, ByteBuffer.allocate(0));
        writer.writeData(Direction.FROM_CLIENT, 5, false);
        assertTrue(events.isEmpty());
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
