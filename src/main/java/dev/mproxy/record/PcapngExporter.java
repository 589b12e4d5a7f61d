package dev.mproxy.record;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Writes one recorded stream as a pcapng capture that Wireshark opens as one TCP connection, so "Follow TCP
 * Stream" shows each side's bytes exactly as recorded. The packets are synthetic; only the payload, its order
 * and its times are real.
 *
 * <p>The file: a Section Header Block (little-endian; its comment names the session), one Interface
 * Description Block ({@code LINKTYPE_RAW}: packets start at their IP header; {@code if_tsresol} = 6, so
 * timestamps are microseconds since 1970), then one Enhanced Packet Block per packet, stamped
 * {@code session.start() + event.micros()}.
 *
 * <p>The connection:
 * <ul>
 *   <li>SYN, SYN/ACK, ACK at the OPENED event, or at the first event when there is none. Both SYNs carry
 *       MSS {@value #MAX_SEGMENT} and window scale 14, so the advertised window (65535 &lt;&lt; 14, about
 *       1 GiB) never runs full.</li>
 *   <li>Each DATA event becomes segments of at most {@value #MAX_SEGMENT} bytes, PSH on its last one, so
 *       event boundaries stay visible. Every packet acknowledges all the other side has sent so far; when a
 *       side has sent 2^29 bytes (512 MiB) the other has not acknowledged, the other side sends a pure ACK,
 *       keeping Wireshark's sequence analysis well inside the window and 2^31.</li>
 *   <li>ENDED sends FIN/ACK from that side; after both FINs the first to close sends the last ACK. FAILED
 *       sends RST/ACK from that side; later ENDED and FAILED events are then ignored.</li>
 *   <li>A side that is still open at {@link #close()} stays open: the recording was cut short.</li>
 *   <li>Initial sequence numbers are fixed ({@code 0x10000000} client, {@code 0x20000000} server) so the same
 *       recording gives the same file; not 0, as some tools treat 0 as "unset". Sequence numbers wrap at
 *       2^32 as TCP's do.</li>
 * </ul>
 *
 * <p>Addresses come from the {@link SessionInfo}. A side whose address is null or unresolved gets
 * {@code 10.0.0.1} (client) or {@code 10.0.0.2} (server), and a side whose port is unknown (no address, or 0)
 * gets 40000 (client) or 80 (server). If either address is IPv6 the packets are IPv6: an IPv4 address then
 * becomes IPv4-mapped ({@code ::ffff:a.b.c.d}, still readable) and a missing one {@code fd00::1} or
 * {@code fd00::2}.
 *
 * <p>Each {@link #write} hands its blocks to the stream and flushes it; {@link #close()} closes the stream.
 * Not thread-safe: one writer thread, as {@link RecordingWriter} says.
 *
 * @see <a href="https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcapng/">draft-ietf-opsawg-pcapng</a>
 */
public final class PcapngExporter implements RecordingWriter {

    /** LINKTYPE_RAW: each packet is a bare IPv4 or IPv6 packet, told apart by its version nibble. */
    static final int LINKTYPE_RAW = 101;
    /**
     * Payload bytes per TCP segment. IPv4's total length allows 65535 - 20 - 20 = 65495 and IPv6's payload
     * length 65535 - 20; 65000 fits both with room, and few segments keep a large recording's file small.
     */
    static final int MAX_SEGMENT = 65000;
    static final int CLIENT_ISN = 0x1000_0000;
    static final int SERVER_ISN = 0x2000_0000;
    /** Unacknowledged bytes after which the receiving side sends a pure ACK: 2^29, half the window. */
    static final long ACK_EVERY = 1L << 29;
    static final int WINDOW = 65535;
    static final int WINDOW_SCALE = 14;
    static final int SYNTHETIC_CLIENT_PORT = 40000;
    static final int SYNTHETIC_SERVER_PORT = 80;
    /** The session comment is cut to this many UTF-8 bytes: it names the session, it is not a dump. */
    static final int MAX_COMMENT = 1024;

    static final int FIN = 0x01;
    static final int SYN = 0x02;
    static final int RST = 0x04;
    static final int PSH = 0x08;
    static final int ACK = 0x10;

    // pcapng block types and option codes (draft-ietf-opsawg-pcapng §4.1, §4.2, §4.3, §3.5)
    private static final int SECTION_HEADER_BLOCK = 0x0A0D0D0A;
    private static final int INTERFACE_DESCRIPTION_BLOCK = 1;
    private static final int ENHANCED_PACKET_BLOCK = 6;
    private static final int BYTE_ORDER_MAGIC = 0x1A2B3C4D;
    private static final int OPT_ENDOFOPT = 0;
    private static final int OPT_COMMENT = 1;
    private static final int SHB_USERAPPL = 4;
    private static final int IF_TSRESOL = 9;
    private static final int SNAPLEN = 65535;

    private static final int EPB_HEADER = 28;
    private static final int IPV4_HEADER = 20;
    private static final int IPV6_HEADER = 40;
    private static final int TCP_HEADER = 20;
    // MSS, NOP, window scale: SYNs only
    private static final int SYN_OPTIONS = 8;
    private static final int PROTOCOL_TCP = 6;
    private static final int TTL = 64;

    private static final byte[] SYNTHETIC_CLIENT_V4 = {10, 0, 0, 1};
    private static final byte[] SYNTHETIC_SERVER_V4 = {10, 0, 0, 2};
    private static final byte[] SYNTHETIC_CLIENT_V6 = v6(0xfd, 1);
    private static final byte[] SYNTHETIC_SERVER_V6 = v6(0xfd, 2);

    private final OutputStream out;
    private final ByteOrder order;
    private final long startMicros;
    private final long ackEvery;
    private final boolean ipv6;
    private final byte[] clientAddress;
    private final byte[] serverAddress;
    private final int clientPort;
    private final int serverPort;

    /** One EPB at a time is built here: block header, IP and TCP headers, payload, padding, trailer. */
    private final byte[] block =
            new byte[EPB_HEADER + IPV6_HEADER + TCP_HEADER + SYN_OPTIONS + MAX_SEGMENT + 3 + 4];
    private final ByteBuffer blockFields;
    private final ByteBuffer net;

    // indexed by Direction.ordinal(); sequence numbers are ints so they wrap at 2^32 by themselves
    private final int[] nextSeq = new int[2];
    private final long[] unacked = new long[2];
    private final boolean[] done = new boolean[2];
    private final int[] ipId = new int[2];
    private boolean started;
    private boolean reset;
    private boolean closed;

    /**
     * Writes the section and interface headers for {@code session} to {@code out}; events follow with
     * {@link #write}. The exporter owns {@code out} from now on and closes it in {@link #close()}.
     */
    public PcapngExporter(OutputStream out, SessionInfo session) throws IOException {
        this(out, session, CLIENT_ISN, SERVER_ISN, ByteOrder.LITTLE_ENDIAN, ACK_EVERY);
    }

    /** Tests choose the initial sequence numbers (to cross 2^32), the section's byte order and the ACK pace. */
    PcapngExporter(OutputStream out, SessionInfo session, int clientIsn, int serverIsn, ByteOrder order,
            long ackEvery) throws IOException {
        this.out = Objects.requireNonNull(out, "out");
        Objects.requireNonNull(session, "session");
        this.order = Objects.requireNonNull(order, "order");
        if (ackEvery <= 0 || ackEvery > ACK_EVERY) {
            throw new IllegalArgumentException("ackEvery: " + ackEvery + " (expected: 1 ~ " + ACK_EVERY + ")");
        }
        this.ackEvery = ackEvery;
        this.startMicros = epochMicros(session.start());
        nextSeq[Direction.FROM_CLIENT.ordinal()] = clientIsn;
        nextSeq[Direction.FROM_SERVER.ordinal()] = serverIsn;

        InetAddress client = resolved(session.client());
        InetAddress server = resolved(session.server());
        ipv6 = client instanceof Inet6Address || server instanceof Inet6Address;
        clientAddress = address(client, ipv6 ? SYNTHETIC_CLIENT_V6 : SYNTHETIC_CLIENT_V4);
        serverAddress = address(server, ipv6 ? SYNTHETIC_SERVER_V6 : SYNTHETIC_SERVER_V4);
        clientPort = port(session.client(), SYNTHETIC_CLIENT_PORT);
        serverPort = port(session.server(), SYNTHETIC_SERVER_PORT);

        blockFields = ByteBuffer.wrap(block).order(order);
        net = ByteBuffer.wrap(block); // network byte order
        writeSectionHeader(comment(session));
        writeInterfaceDescription();
        out.flush();
    }

    @Override
    public void write(RecordedEvent event) throws IOException {
        Objects.requireNonNull(event, "event");
        if (closed) {
            throw new IllegalStateException("exporter is closed");
        }
        long ts = timestamp(event.micros());
        Direction side = event.side();
        switch (event.kind()) {
            case OPENED:
                if (started) {
                    throw new IllegalStateException("opened after the stream's first event (expected: first)");
                }
                handshake(ts);
                break;
            case DATA:
                if (done[side.ordinal()]) {
                    throw new IllegalStateException("data from " + name(side) + " after its end or failure");
                }
                handshake(ts);
                data(side, event.bytes(), ts);
                break;
            case ENDED:
                handshake(ts);
                end(side, ts);
                break;
            case FAILED:
                handshake(ts);
                fail(side, ts);
                break;
            default:
                throw new IllegalArgumentException("unknown event kind: " + event.kind());
        }
        out.flush();
    }

    /** Closes the stream. Sides still open stay open in the capture; closing twice does nothing. */
    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            out.close();
        }
    }

    private void handshake(long ts) throws IOException {
        if (started) {
            return;
        }
        started = true;
        segment(Direction.FROM_CLIENT, SYN, null, 0, 0, ts);
        segment(Direction.FROM_SERVER, SYN | ACK, null, 0, 0, ts);
        segment(Direction.FROM_CLIENT, ACK, null, 0, 0, ts);
    }

    private void data(Direction from, byte[] bytes, long ts) throws IOException {
        Direction to = from.opposite();
        for (int off = 0; off < bytes.length; off += MAX_SEGMENT) {
            int len = Math.min(MAX_SEGMENT, bytes.length - off);
            if (unacked[from.ordinal()] > 0 && unacked[from.ordinal()] + len > ackEvery && !reset) {
                segment(to, ACK, null, 0, 0, ts);
            }
            boolean last = off + len == bytes.length;
            segment(from, last ? PSH | ACK : ACK, bytes, off, len, ts);
        }
    }

    private void end(Direction side, long ts) throws IOException {
        if (done[side.ordinal()] || reset) {
            return;
        }
        segment(side, FIN | ACK, null, 0, 0, ts);
        done[side.ordinal()] = true;
        if (done[side.opposite().ordinal()]) {
            // the side that closed first acknowledges the second FIN: the connection is fully closed
            segment(side.opposite(), ACK, null, 0, 0, ts);
        }
    }

    private void fail(Direction side, long ts) throws IOException {
        if (reset || done[0] && done[1]) {
            return;
        }
        segment(side, RST | ACK, null, 0, 0, ts);
        done[side.ordinal()] = true;
        reset = true;
    }

    /** Writes one packet from {@code from} as an EPB and advances that side's sequence number. */
    private void segment(Direction from, int flags, byte[] payload, int off, int len, long ts) throws IOException {
        boolean client = from == Direction.FROM_CLIENT;
        int seq = nextSeq[from.ordinal()];
        int ack = (flags & ACK) != 0 ? nextSeq[from.opposite().ordinal()] : 0;
        int ipHeader = ipv6 ? IPV6_HEADER : IPV4_HEADER;
        int tcpHeader = TCP_HEADER + ((flags & SYN) != 0 ? SYN_OPTIONS : 0);
        int tcpLength = tcpHeader + len;
        int packetLength = ipHeader + tcpLength;
        byte[] src = client ? clientAddress : serverAddress;
        byte[] dst = client ? serverAddress : clientAddress;

        int ip = EPB_HEADER;
        if (ipv6) {
            net.putInt(ip, 6 << 28); // version, traffic class 0, flow label 0
            net.putShort(ip + 4, (short) tcpLength);
            block[ip + 6] = PROTOCOL_TCP;
            block[ip + 7] = TTL;
            System.arraycopy(src, 0, block, ip + 8, 16);
            System.arraycopy(dst, 0, block, ip + 24, 16);
        } else {
            block[ip] = 0x45; // version 4, 5 words
            block[ip + 1] = 0;
            net.putShort(ip + 2, (short) packetLength);
            net.putShort(ip + 4, (short) ipId[from.ordinal()]++);
            net.putShort(ip + 6, (short) 0x4000); // don't fragment
            block[ip + 8] = TTL;
            block[ip + 9] = PROTOCOL_TCP;
            net.putShort(ip + 10, (short) 0);
            System.arraycopy(src, 0, block, ip + 12, 4);
            System.arraycopy(dst, 0, block, ip + 16, 4);
            net.putShort(ip + 10, (short) checksum(sum(block, ip, IPV4_HEADER)));
        }

        int tcp = ip + ipHeader;
        net.putShort(tcp, (short) (client ? clientPort : serverPort));
        net.putShort(tcp + 2, (short) (client ? serverPort : clientPort));
        net.putInt(tcp + 4, seq);
        net.putInt(tcp + 8, ack);
        block[tcp + 12] = (byte) ((tcpHeader / 4) << 4);
        block[tcp + 13] = (byte) flags;
        net.putShort(tcp + 14, (short) WINDOW);
        net.putInt(tcp + 16, 0); // checksum (filled below), urgent pointer
        if ((flags & SYN) != 0) {
            block[tcp + 20] = 2; // MSS (RFC 9293 §3.7.1): no segment here is larger
            block[tcp + 21] = 4;
            net.putShort(tcp + 22, (short) MAX_SEGMENT);
            block[tcp + 24] = 1; // NOP
            block[tcp + 25] = 3; // window scale (RFC 7323 §2.2)
            block[tcp + 26] = 3;
            block[tcp + 27] = WINDOW_SCALE;
        }
        if (len > 0) {
            System.arraycopy(payload, off, block, tcp + tcpHeader, len);
        }
        // pseudo-header (RFC 9293 §3.1, RFC 8200 §8.1): addresses, protocol, TCP length; then the segment
        long sum = sum(src, 0, src.length) + sum(dst, 0, dst.length) + PROTOCOL_TCP + tcpLength
                + sum(block, tcp, tcpLength);
        net.putShort(tcp + 16, (short) checksum(sum));

        int padded = (packetLength + 3) & ~3;
        Arrays.fill(block, EPB_HEADER + packetLength, EPB_HEADER + padded, (byte) 0);
        int total = EPB_HEADER + padded + 4;
        blockFields.putInt(0, ENHANCED_PACKET_BLOCK);
        blockFields.putInt(4, total);
        blockFields.putInt(8, 0); // interface 0
        blockFields.putInt(12, (int) (ts >>> 32));
        blockFields.putInt(16, (int) ts);
        blockFields.putInt(20, packetLength); // captured
        blockFields.putInt(24, packetLength); // original
        blockFields.putInt(total - 4, total);
        out.write(block, 0, total);

        nextSeq[from.ordinal()] = seq + len + ((flags & (SYN | FIN)) != 0 ? 1 : 0);
        unacked[from.ordinal()] += len;
        if ((flags & ACK) != 0) {
            unacked[from.opposite().ordinal()] = 0;
        }
    }

    private void writeSectionHeader(String comment) throws IOException {
        byte[] commentBytes = comment.getBytes(StandardCharsets.UTF_8);
        byte[] application = "mproxy".getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(24 + option(commentBytes) + option(application) + 4 + 4).order(order);
        b.putInt(SECTION_HEADER_BLOCK).putInt(b.capacity()).putInt(BYTE_ORDER_MAGIC);
        b.putShort((short) 1).putShort((short) 0); // version 1.0
        b.putLong(-1); // section length: not known while streaming
        putOption(b, OPT_COMMENT, commentBytes);
        putOption(b, SHB_USERAPPL, application);
        b.putShort((short) OPT_ENDOFOPT).putShort((short) 0);
        b.putInt(b.capacity());
        out.write(b.array());
    }

    private void writeInterfaceDescription() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(16 + option(new byte[1]) + 4 + 4).order(order);
        b.putInt(INTERFACE_DESCRIPTION_BLOCK).putInt(b.capacity());
        b.putShort((short) LINKTYPE_RAW).putShort((short) 0);
        b.putInt(SNAPLEN);
        putOption(b, IF_TSRESOL, new byte[] {6}); // 10^-6 s
        b.putShort((short) OPT_ENDOFOPT).putShort((short) 0);
        b.putInt(b.capacity());
        out.write(b.array());
    }

    private static int option(byte[] value) {
        return 4 + ((value.length + 3) & ~3);
    }

    private static void putOption(ByteBuffer b, int code, byte[] value) {
        b.putShort((short) code).putShort((short) value.length).put(value);
        b.position(b.position() + ((4 - value.length % 4) % 4)); // zero padding from allocate()
    }

    /** "mproxy session ID, user U, protocol P, labels {k=v, ...}", without the parts that are unknown. */
    static String comment(SessionInfo session) {
        StringBuilder s = new StringBuilder("mproxy session ").append(session.sessionId());
        if (session.user() != null) {
            s.append(", user ").append(session.user());
        }
        if (session.protocol() != null) {
            s.append(", protocol ").append(session.protocol());
        }
        if (!session.labels().isEmpty()) {
            s.append(", labels ").append(new TreeMap<>(session.labels())); // sorted: same session, same file
        }
        String text = s.toString();
        if (text.getBytes(StandardCharsets.UTF_8).length <= MAX_COMMENT) {
            return text;
        }
        int end = text.length();
        do {
            end = text.offsetByCodePoints(end, -1);
        } while ((text.substring(0, end) + "...").getBytes(StandardCharsets.UTF_8).length > MAX_COMMENT);
        return text.substring(0, end) + "...";
    }

    private long timestamp(long micros) {
        try {
            return Math.addExact(startMicros, micros);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("event time out of range: " + micros + "us after the start", e);
        }
    }

    private static long epochMicros(Instant start) {
        if (start.getEpochSecond() < 0) {
            throw new IllegalArgumentException("start: " + start + " (expected: 1970 or later)");
        }
        try {
            return Math.addExact(Math.multiplyExact(start.getEpochSecond(), 1_000_000L), start.getNano() / 1000);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("start: " + start + " (expected: a pcapng timestamp)", e);
        }
    }

    private static InetAddress resolved(InetSocketAddress address) {
        return address == null ? null : address.getAddress();
    }

    private byte[] address(InetAddress address, byte[] synthetic) {
        if (address == null) {
            return synthetic;
        }
        byte[] raw = address.getAddress();
        if (ipv6 && address instanceof Inet4Address) {
            byte[] mapped = new byte[16];
            mapped[10] = (byte) 0xff;
            mapped[11] = (byte) 0xff;
            System.arraycopy(raw, 0, mapped, 12, 4);
            return mapped;
        }
        return raw;
    }

    private static int port(InetSocketAddress address, int synthetic) {
        return address == null || address.getPort() == 0 ? synthetic : address.getPort();
    }

    private static byte[] v6(int first, int last) {
        byte[] a = new byte[16];
        a[0] = (byte) first;
        a[15] = (byte) last;
        return a;
    }

    private static String name(Direction side) {
        return side == Direction.FROM_CLIENT ? "client" : "server";
    }

    /** The one's-complement sum of {@code len} bytes as 16-bit big-endian words, not yet folded (RFC 1071). */
    static long sum(byte[] b, int off, int len) {
        long sum = 0;
        int end = off + (len & ~1);
        for (int i = off; i < end; i += 2) {
            sum += ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff);
        }
        if ((len & 1) != 0) {
            sum += (b[off + len - 1] & 0xff) << 8; // an odd last byte is padded with a zero
        }
        return sum;
    }

    /** Folds a sum to 16 bits and complements it. */
    static int checksum(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) ~sum & 0xffff;
    }
}
