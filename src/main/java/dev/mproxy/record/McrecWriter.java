package dev.mproxy.record;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Writes MeshCentral's {@code .mcrec} (protocol-spec/recording.md §3): the metadata block at open, one block
 * per data event, a type-4 block per other event, and the end block at close. Each block is one
 * {@code out.write} (rule 1.2); nothing already written is ever rewritten (rule 3.5).
 */
final class McrecWriter implements RecordingWriter {

    /** A protocol written as a JSON number (rule 3.2): canonical decimal, no sign tricks or leading zeros. */
    private static final Pattern INTEGER = Pattern.compile("0|-?[1-9][0-9]{0,17}");

    private final OutputStream out;
    private final long startMillis;
    private final int maxData;
    private long lastMillis;
    private boolean closed;

    private McrecWriter(OutputStream out, long startMillis, int maxData) {
        this.out = out;
        this.startMillis = startMillis;
        this.maxData = maxData;
        this.lastMillis = startMillis;
    }

    /** Writes the metadata block and returns the writer; refuses labels that clash with metadata fields. */
    static McrecWriter open(OutputStream out, SessionInfo session, int maxData) throws IOException {
        if (maxData < 1) {
            throw new IllegalArgumentException("maxData: " + maxData + " (expected: >= 1)");
        }
        byte[] json = metadata(session);
        McrecWriter writer = new McrecWriter(out, session.start().toEpochMilli(), maxData);
        out.write(Mcrec.block(Mcrec.TYPE_METADATA, 0, writer.startMillis, json, 0, json.length));
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
            if (INTEGER.matcher(protocol).matches()) {
                m.put("protocol", Long.parseLong(protocol)); // the player compares protocol == 1, 2, ...
            } else {
                m.put("protocol", protocol);
            }
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
        if (closed) {
            throw new IOException("recording closed");
        }
        long millis = Math.addExact(startMillis, event.micros() / 1000);
        switch (event.kind()) {
            case DATA:
                int flags = Mcrec.FLAG_BINARY | (event.side() == Direction.FROM_CLIENT ? Mcrec.FLAG_USER : 0);
                byte[] bytes = event.bytes();
                // Only an event too large for one array is split, into blocks with the same time (rule 3.3).
                for (int offset = 0; offset < bytes.length; offset += maxData) {
                    int length = Math.min(maxData, bytes.length - offset);
                    out.write(Mcrec.block(Mcrec.TYPE_DATA, flags, millis, bytes, offset, length));
                }
                break;
            case OPENED:
                writeEvent(Mcrec.OPENED, event.side(), millis);
                break;
            case ENDED:
                writeEvent(Mcrec.ENDED, event.side(), millis);
                break;
            case FAILED:
                writeEvent(Mcrec.FAILED, event.side(), millis);
                break;
            default:
                throw new IllegalArgumentException("unknown event kind: " + event.kind());
        }
        lastMillis = millis;
    }

    private void writeEvent(String word, Direction side, long millis) throws IOException {
        byte[] json = ("{\"event\":\"" + word + "\",\"side\":\"" + Mcrec.side(side) + "\"}").getBytes(
                StandardCharsets.US_ASCII);
        out.write(Mcrec.block(Mcrec.TYPE_EXTRA, 0, millis, json, 0, json.length));
    }

    /** Writes the end block, timed at the last event (rule 3.5), and closes the stream. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            out.write(Mcrec.endBlock(lastMillis));
        } finally {
            out.close();
        }
    }

    @Override
    public String toString() {
        return "McrecWriter" + (closed ? "(closed)" : "");
    }
}
