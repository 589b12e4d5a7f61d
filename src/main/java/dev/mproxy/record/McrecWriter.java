package dev.mproxy.record;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Writes MeshCentral's {@code .mcrec} (protocol-spec/recording.md §3): the metadata block at open, one block
 * per data event, a type-4 block per other event, and the end block at close. Each block is one gathering
 * write of its header and its payload (rule 1.2); nothing already written is ever rewritten (rule 3.5).
 */
final class McrecWriter implements RecordingWriter {

    /** MeshCentral's protocol number (rule 3.2): canonical decimal, no sign tricks or leading zeros. */
    private static final Pattern INTEGER = Pattern.compile("0|-?[1-9][0-9]{0,17}");

    /** Room for a header and an event block's JSON (rule 3.4), the longest being 16 + 61 bytes. */
    private static final int SCRATCH_SIZE = Mcrec.HEADER_SIZE + 96;

    private final GatheringByteChannel out;
    private final long startMillis;
    /** The sides whose data is flagged 0x2, MeshCentral's "user" (rule 3.3). */
    private final Set<Direction> userSides;
    /** Whether the client's blocks are flagged 0x4, when 0x2 does not tell the directions apart (rule 3.3). */
    private final boolean clientFlag;
    private final int maxData;
    /** Headers and event blocks are put together here; direct, so the gathering write copies nothing. */
    private final ByteBuffer scratch = ByteBuffer.allocateDirect(SCRATCH_SIZE);
    /** The last event's time: the end block's (rule 3.5). */
    private long lastMillis;
    /** The last data block's time, the player's clock: event blocks carry it (rule 3.4). */
    private long lastDataMillis;
    private boolean closed;

    private McrecWriter(GatheringByteChannel out, long startMillis, Set<Direction> userSides, int maxData) {
        this.out = out;
        this.startMillis = startMillis;
        this.userSides = userSides;
        this.clientFlag = Mcrec.userFlag(userSides) != null;
        this.maxData = maxData;
        this.lastMillis = startMillis;
        this.lastDataMillis = startMillis;
    }

    /**
     * Writes the metadata block and returns the writer; refuses labels that clash with metadata fields and a
     * protocol that is not a number.
     */
    static McrecWriter open(GatheringByteChannel out, SessionInfo session, int maxData) throws IOException {
        if (maxData < 1) {
            throw new IllegalArgumentException("maxData: " + maxData + " (expected: >= 1)");
        }
        byte[] json = metadata(session);
        McrecWriter writer = new McrecWriter(out, session.start().toEpochMilli(), session.userSides(), maxData);
        writer.writeBlock(Mcrec.TYPE_METADATA, 0, writer.startMillis, ByteBuffer.wrap(json));
        return writer;
    }

    static byte[] metadata(SessionInfo session) {
        ObjectNode m = Mcrec.JSON.createObjectNode();
        m.put("magic", Mcrec.METADATA_MAGIC);
        m.put("ver", 1);
        m.put("sessionid", session.sessionId());
        if (session.user() != null) {
            m.put("userid", session.user());
        }
        putAddress(m, "ipaddr1", "port1", session.client());
        putAddress(m, "ipaddr2", "port2", session.server());
        // ISO-8601 in UTC, not MeshCentral's toLocaleString(): the same on every machine, and parseable.
        m.put("time", session.start().toString());
        String protocol = session.protocol();
        if (protocol != null) {
            // MeshCentral's player puts this field into its page unescaped: a number only, never our text
            if (!INTEGER.matcher(protocol).matches()) {
                throw new IllegalArgumentException("protocol: " + protocol + " (expected: MeshCentral's protocol "
                        + "number, a decimal integer such as 1 or 2; anything else goes in a label)");
            }
            m.put("protocol", Long.parseLong(protocol)); // the player compares protocol == 1, 2, ...
        }
        String userFlag = Mcrec.userFlag(session.userSides());
        if (userFlag != null) {
            m.put(Mcrec.USER_FLAG, userFlag); // and the client's blocks are flagged 0x4 (rule 3.3)
        }
        for (Map.Entry<String, String> label : new TreeMap<>(session.labels()).entrySet()) {
            if (Mcrec.RESERVED.contains(label.getKey())) {
                throw new IllegalArgumentException("label clashes with a metadata field: " + label.getKey()
                        + " (expected: a name other than " + new TreeSet<>(Mcrec.RESERVED) + ')');
            }
            m.put(label.getKey(), label.getValue());
        }
        try {
            return Mcrec.JSON.writeValueAsBytes(m);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + m, e);
        }
    }

    private static void putAddress(ObjectNode m, String ipField, String portField, InetSocketAddress address) {
        if (address == null) {
            return;
        }
        // MeshCentral writes the bare IP; the port is ours, in its own field so the player's display is unchanged.
        m.put(ipField, address.getAddress() != null ? address.getAddress().getHostAddress() : address.getHostString());
        m.put(portField, address.getPort());
    }

    @Override
    public void write(RecordedEvent event) throws IOException {
        switch (event.kind()) {
            case DATA:
                writeData(event.side(), event.micros(), event.isText(), ByteBuffer.wrap(event.bytes()));
                break;
            case OPENED:
                writeEvent(Mcrec.OPENED, event.side(), event.micros());
                break;
            case ENDED:
                writeEvent(Mcrec.ENDED, event.side(), event.micros());
                break;
            case FAILED:
                writeEvent(Mcrec.FAILED, event.side(), event.micros());
                break;
            default:
                throw new IllegalArgumentException("unknown event kind: " + event.kind());
        }
    }

    @Override
    public void writeData(Direction from, long micros, boolean text, ByteBuffer... payload) throws IOException {
        requireOpen();
        long length = ByteBuffers.remaining(payload);
        if (length == 0) {
            return;
        }
        long millis = millis(micros);
        // As MeshCentral's recordingEntry: 0x1 marks binary frames only, 0x2 a user's side (rule 3.3); ours, 0x4,
        // the client when 0x2 cannot say which side is which
        int flags = (text ? 0 : Mcrec.FLAG_BINARY) | (userSides.contains(from) ? Mcrec.FLAG_USER : 0)
                | (clientFlag && from == Direction.FROM_CLIENT ? Mcrec.FLAG_CLIENT : 0);
        // Only an event too large for a reader's array is split, into blocks with the same time (rule 3.3).
        List<ByteBuffer[]> blocks = length <= maxData ? Collections.singletonList(payload)
                : ByteBuffers.chunks(payload, maxData);
        for (ByteBuffer[] block : blocks) {
            writeBlock(Mcrec.TYPE_DATA, flags, millis, block);
        }
        lastMillis = millis;
        lastDataMillis = millis;
    }

    /**
     * An event block (rule 3.4): timed at the last data block, since MeshCentral's player waits before every block
     * from its last data block's time and would add an event's distance from it to the replay; the event's own
     * time goes in the block's JSON.
     */
    private void writeEvent(String word, Direction side, long micros) throws IOException {
        requireOpen();
        long millis = millis(micros);
        String json = "{\"event\":\"" + word + "\",\"side\":\"" + Mcrec.side(side) + "\",\"time\":" + millis + '}';
        ByteBuffer block = scratch.clear();
        Mcrec.putHeader(block, Mcrec.TYPE_EXTRA, 0, json.length(), lastDataMillis);
        block.put(json.getBytes(StandardCharsets.US_ASCII)); // with its header: one buffer, one write
        ByteBuffers.writeRecord(out, block.flip());
        lastMillis = millis;
    }

    /** One block: its header, then {@code payload} as it is. */
    private void writeBlock(int type, int flags, long millis, ByteBuffer... payload) throws IOException {
        ByteBuffer header = scratch.clear();
        Mcrec.putHeader(header, type, flags, (int) ByteBuffers.remaining(payload), millis);
        ByteBuffers.writeRecord(out, header.flip(), payload);
    }

    private long millis(long micros) {
        return Math.addExact(startMillis, micros / 1000);
    }

    private void requireOpen() throws IOException {
        if (closed) {
            throw new IOException("recording closed");
        }
    }

    /** Writes the end block, timed at the last event (rule 3.5), and closes the stream. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            ByteBuffers.writeRecord(out, ByteBuffer.wrap(Mcrec.endBlock(lastMillis)));
        } finally {
            out.close();
        }
    }

    @Override
    public String toString() {
        return "McrecWriter" + (closed ? "(closed)" : "");
    }
}
