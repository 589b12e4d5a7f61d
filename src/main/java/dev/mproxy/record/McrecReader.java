package dev.mproxy.record;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** Reads MeshCentral's {@code .mcrec} block by block (protocol-spec/recording.md §3, §4). */
final class McrecReader extends FileRecordingReader {

    /** The metadata block's time: event times count from it (rule 4.6). */
    private final long baseMillis;
    /** Repair reads only the framing: data is skipped, not returned. */
    private final boolean framingOnly;
    /** Whether 0x4 marks the client's blocks, its metadata saying what 0x2 marks (rule 3.3); else 0x2 does. */
    private final boolean clientFlag;
    private final byte[] header = new byte[Mcrec.HEADER_SIZE];
    private boolean ended;
    private long completeLength;
    private long lastMillis;
    /** The time of the event block just read, from its JSON when it has one (rule 3.4). */
    private long eventMillis;

    private McrecReader(FileInput in, SessionInfo session, long baseMillis, boolean framingOnly,
            boolean clientFlag) {
        super(in, session);
        this.baseMillis = baseMillis;
        this.framingOnly = framingOnly;
        this.clientFlag = clientFlag;
        this.completeLength = in.position();
        this.lastMillis = baseMillis;
    }

    /**
     * Reads the metadata block (rule 3.2). A file cut inside it has nothing to read and is an
     * {@link EOFException}; one whose first block is not MeshCentral's metadata a {@link RecordingFormatException}.
     */
    static McrecReader open(FileInput in, String name, boolean framingOnly) throws IOException {
        byte[] h = new byte[Mcrec.HEADER_SIZE];
        int n = in.readFully(h, 0, h.length);
        if (n < h.length) {
            throw new EOFException("truncated at byte 0: metadata block header has " + n + " of 16 bytes");
        }
        ByteBuffer header = ByteBuffer.wrap(h);
        int type = header.getShort(0) & 0xffff;
        int flags = header.getShort(2) & 0xffff;
        int size = header.getInt(4);
        long millis = header.getLong(8);
        if (type != Mcrec.TYPE_METADATA || flags > Mcrec.FLAG_USER) {
            throw new RecordingFormatException("a first block of type " + type + " with flags " + flags,
                    "type 1, flags 0 to 2", 0, "3.2");
        }
        if (size < 1 || size > Mcrec.MAX_METADATA_SIZE) {
            throw new RecordingFormatException("a metadata block of " + (size & 0xffffffffL) + " bytes",
                    "1 to " + Mcrec.MAX_METADATA_SIZE + " bytes", 0, "4.2");
        }
        byte[] json = new byte[(int) Math.min(size, in.remaining())];
        n = in.readFully(json, 0, json.length);
        if (n < size) {
            throw new EOFException("truncated at byte 0: metadata block of " + size + " bytes has " + n);
        }
        JsonNode m;
        try {
            m = Mcrec.JSON.readTree(json);
        } catch (IOException e) { // JSON errors, and CharConversionException: bytes Jackson took for UTF-32
            m = null;
        }
        if (m == null || !m.isObject() || !Mcrec.METADATA_MAGIC.equals(m.path("magic").asText(null))
                || m.path("ver").asInt(0) != 1 || !m.path("ver").isNumber()) {
            throw new RecordingFormatException("metadata '" + preview(json) + "'",
                    "a JSON object with \"magic\":\"" + Mcrec.METADATA_MAGIC + "\" and \"ver\":1", 0, "3.2");
        }
        Set<Direction> userSides = EnumSet.of(Direction.FROM_CLIENT);
        JsonNode userFlag = m.get(Mcrec.USER_FLAG);
        if (userFlag != null) {
            userSides = userFlag.isTextual() ? Mcrec.userSides(userFlag.asText()) : null;
            if (userSides == null) {
                throw new RecordingFormatException(Mcrec.USER_FLAG + " " + preview(userFlag.toString()
                        .getBytes(StandardCharsets.UTF_8)), "\"client\", \"server\", \"both\" or \"none\"", 0, "3.2");
            }
        }
        return new McrecReader(in, session(m, name, millis, userSides), millis, framingOnly, userFlag != null);
    }

    private static SessionInfo session(JsonNode m, String name, long millis, Set<Direction> userSides) {
        Instant start = Instant.ofEpochMilli(millis);
        // Our own ISO-8601 time keeps the start's sub-millisecond part; any other text is MeshCentral's locale.
        String time = text(m, "time");
        if (time != null) {
            try {
                Instant parsed = Instant.parse(time);
                if (parsed.toEpochMilli() == millis) {
                    start = parsed;
                }
            } catch (DateTimeParseException | ArithmeticException e) {
                // Not ours: keep the block time.
            }
        }
        String sessionId = text(m, "sessionid");
        Map<String, String> labels = new HashMap<>();
        for (Map.Entry<String, JsonNode> field : m.properties()) {
            JsonNode value = field.getValue();
            if (!Mcrec.RESERVED.contains(field.getKey()) && !value.isNull()) {
                labels.put(field.getKey(), value.isTextual() ? value.asText() : value.toString());
            }
        }
        return new SessionInfo(start, sessionId != null ? sessionId : name, text(m, "userid"),
                SessionInfo.address(text(m, "ipaddr1"), m.path("port1").asInt(0)),
                SessionInfo.address(text(m, "ipaddr2"), m.path("port2").asInt(0)), text(m, "protocol"), labels,
                userSides);
    }

    private static String text(JsonNode m, String field) {
        JsonNode value = m.get(field);
        return value == null || value.isNull() || value.isContainerNode() ? null : value.asText();
    }

    @Override
    public RecordingFormat format() {
        return RecordingFormat.MCREC;
    }

    @Override
    public RecordedEvent next() throws IOException {
        while (!done) {
            long offset = in.position();
            int n = in.readFully(header, 0, header.length);
            if (n == 0) {
                done = true;
                if (!ended) {
                    truncation = "truncated at byte " + offset + ": no end block after the last complete block";
                }
                return null;
            }
            if (ended) {
                throw new RecordingFormatException(n + "+ bytes after the end block", "the end of the file", offset,
                        "3.5");
            }
            if (n < header.length) {
                return truncate(offset, "block header has " + n + " of 16 bytes");
            }
            ByteBuffer h = ByteBuffer.wrap(header);
            int type = h.getShort(0) & 0xffff;
            int flags = h.getShort(2) & 0xffff;
            int size = h.getInt(4);
            long millis = h.getLong(8);
            if (type == Mcrec.TYPE_METADATA) {
                throw new RecordingFormatException("a second metadata block", "data, end or extra blocks (2 to 4)",
                        offset, "3.1");
            }
            if (type < Mcrec.TYPE_DATA || type > Mcrec.TYPE_EXTRA) {
                throw new RecordingFormatException("a block of type " + type, "2 to 4", offset, "3.1");
            }
            int known = Mcrec.FLAG_BINARY | Mcrec.FLAG_USER | (clientFlag ? Mcrec.FLAG_CLIENT : 0);
            if ((flags & ~known) != 0) {
                throw new RecordingFormatException("flags 0x" + Integer.toHexString(flags), "0 to " + known, offset,
                        "3.1");
            }
            if (size < 0) {
                throw new RecordingFormatException("a size of " + (size & 0xffffffffL),
                        "at most " + Mcrec.MAX_SIZE + " (the size is signed)", offset, "3.1");
            }
            long available = in.remaining();
            if (size > available) {
                // Never allocate more than the file holds (rule 4.2).
                return truncate(offset, kind(type) + " block of " + size + " bytes has " + available);
            }
            eventMillis = millis;
            RecordedEvent event = block(offset, type, flags, size, millis);
            if (done) {
                return null;
            }
            completeLength = in.position();
            lastMillis = Math.max(millis, eventMillis);
            if (event != null) {
                return event;
            }
        }
        return null;
    }

    /** The event a complete block holds, or null for one that holds none. */
    private RecordedEvent block(long offset, int type, int flags, int size, long millis) throws IOException {
        switch (type) {
            case Mcrec.TYPE_DATA:
                if (size == 0 || framingOnly) {
                    in.skip(size);
                    return null;
                }
                byte[] bytes = new byte[size];
                int n = in.readFully(bytes, 0, size);
                if (n < size) { // the file shrank since the size check
                    return truncate(offset, "data block of " + size + " bytes has " + n);
                }
                Direction from = (flags & (clientFlag ? Mcrec.FLAG_CLIENT : Mcrec.FLAG_USER)) != 0
                        ? Direction.FROM_CLIENT : Direction.FROM_SERVER;
                // Without 0x1 the block was a WebSocket text message (rule 4.7).
                return (flags & Mcrec.FLAG_BINARY) != 0 ? RecordedEvent.data(from, micros(millis), bytes)
                        : RecordedEvent.text(from, micros(millis), bytes);
            case Mcrec.TYPE_END:
                if (size != Mcrec.END_SIZE) {
                    in.skip(size); // MeshCentral's AMT KVM screenshots (rule 4.7)
                    return null;
                }
                byte[] magic = new byte[size];
                in.readFully(magic, 0, size);
                String text = new String(magic, StandardCharsets.ISO_8859_1);
                if (!text.equals(Mcrec.END_MAGIC) && !text.equals(Mcrec.INDEXED_END_MAGIC)) {
                    throw new RecordingFormatException("an end block with magic '" + preview(magic) + "'",
                            Mcrec.END_MAGIC + " or " + Mcrec.INDEXED_END_MAGIC, offset, "3.5");
                }
                ended = true;
                return null;
            default:
                if (size > Mcrec.MAX_EVENT_BLOCK_SIZE) {
                    in.skip(size); // MeshCentral's index (rule 4.7)
                    return null;
                }
                byte[] json = new byte[size];
                in.readFully(json, 0, size);
                return event(offset, json, millis);
        }
    }

    /** The event of a type-4 block (rule 3.4), or null for extra metadata that is not one (rule 4.7). */
    private RecordedEvent event(long offset, byte[] json, long millis) throws RecordingFormatException {
        JsonNode node;
        try {
            node = Mcrec.JSON.readTree(json);
        } catch (IOException e) {
            return null;
        }
        if (node == null || !node.isObject() || !node.has("event")) {
            return null;
        }
        String word = node.path("event").asText("");
        String side = node.path("side").asText("");
        JsonNode time = node.get("time"); // the event's own time; the block's is the last data block's
        Direction direction = side.equals("client") ? Direction.FROM_CLIENT
                : side.equals("server") ? Direction.FROM_SERVER : null;
        if (direction != null && (time == null || time.isIntegralNumber() && time.canConvertToLong())) {
            eventMillis = time == null ? millis : time.longValue();
            if (word.equals(Mcrec.OPENED) && direction == Direction.FROM_CLIENT) {
                return RecordedEvent.opened(micros(eventMillis));
            }
            if (word.equals(Mcrec.ENDED)) {
                return RecordedEvent.ended(direction, micros(eventMillis));
            }
            if (word.equals(Mcrec.FAILED)) {
                return RecordedEvent.failed(direction, micros(eventMillis));
            }
        }
        throw new RecordingFormatException("an event block '" + preview(json) + "'",
                "{\"event\":\"con\",\"side\":\"client\",\"time\":T} or {\"event\":\"hup|err\",\"side\":"
                + "\"client|server\",\"time\":T}, T epoch milliseconds", offset, "3.4");
    }

    /**
     * Microseconds since the metadata block, clamped to 0 and to {@code Long.MAX_VALUE}: MeshCentral's browser
     * recorder writes times that are not epoch milliseconds, and only their order is worth keeping (rule 4.6).
     */
    private long micros(long millis) {
        long delta = millis - baseMillis;
        if (((millis ^ baseMillis) & (millis ^ delta)) < 0) {
            delta = millis < 0 ? Long.MIN_VALUE : Long.MAX_VALUE; // the subtraction overflowed
        }
        if (delta <= 0) {
            return 0;
        }
        return delta > Long.MAX_VALUE / 1000 ? Long.MAX_VALUE : delta * 1000;
    }

    private static String kind(int type) {
        switch (type) {
            case Mcrec.TYPE_DATA:
                return "data";
            case Mcrec.TYPE_END:
                return "end";
            default:
                return "extra";
        }
    }

    private static String preview(byte[] bytes) {
        String s = new String(bytes, 0, Math.min(bytes.length, 80), StandardCharsets.UTF_8);
        return bytes.length > 80 ? s + "..." : s;
    }

    /** Where the last complete block ends: the file's length less any partial trailing block. */
    long completeLength() {
        return completeLength;
    }

    /**
     * The time of the last complete block (the metadata block's if there is no other): its time field, or the
     * time in its JSON for an event block that has a later one (rule 3.4).
     */
    long lastMillis() {
        return lastMillis;
    }

    /** Whether the end block was read. */
    boolean ended() {
        return ended;
    }

}
