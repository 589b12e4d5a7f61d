package dev.mproxy.record;

import java.io.ByteArrayOutputStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Decodes raw IPv4/IPv6 TCP packets (LINKTYPE_RAW) for tests, apart from {@link PcapngExporter}: headers,
 * checksums, and one connection's two byte streams rebuilt by sequence number.
 */
final class PcapngTcp {

    static final int FIN = 0x01;
    static final int SYN = 0x02;
    static final int RST = 0x04;
    static final int PSH = 0x08;
    static final int ACK = 0x10;

    private PcapngTcp() {
    }

    /** One TCP segment; sequence and acknowledgment numbers as unsigned 32-bit values. */
    record Segment(int ipVersion, InetSocketAddress source, InetSocketAddress destination, long seq, long ack,
            int flags, int window, byte[] options, byte[] payload, boolean ipChecksumOk, boolean tcpChecksumOk) {

        boolean has(int flag) {
            return (flags & flag) != 0;
        }

        /** Like Wireshark's Info column: {@code SYN}, {@code SYN/ACK}, {@code PSH/ACK}, {@code FIN/ACK}. */
        String flagNames() {
            List<String> names = new ArrayList<>();
            String[] all = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
            int[] order = {1, 2, 0, 3, 4, 5, 6, 7}; // SYN, RST, FIN, PSH, ACK, ...
            for (int i : order) {
                if ((flags & (1 << i)) != 0) {
                    names.add(all[i]);
                }
            }
            return String.join("/", names);
        }
    }

    static Segment decode(byte[] packet) {
        ByteBuffer b = ByteBuffer.wrap(packet); // network order
        require(packet.length >= 1, "empty packet");
        int version = (packet[0] & 0xff) >>> 4;
        int tcp;
        byte[] src;
        byte[] dst;
        boolean ipOk;
        if (version == 4) {
            require(packet.length >= 20, "IPv4 packet of " + packet.length + " bytes");
            int ihl = (packet[0] & 0x0f) * 4;
            require(ihl >= 20 && ihl <= packet.length, "IPv4 header length " + ihl);
            require(Short.toUnsignedInt(b.getShort(2)) == packet.length, "IPv4 total length "
                    + Short.toUnsignedInt(b.getShort(2)) + " (expected: " + packet.length + ")");
            require((b.getShort(6) & 0x3fff) == 0, "IPv4 fragment (expected: whole packets)");
            require(packet[9] == 6, "IPv4 protocol " + packet[9] + " (expected: 6, TCP)");
            src = Arrays.copyOfRange(packet, 12, 16);
            dst = Arrays.copyOfRange(packet, 16, 20);
            ipOk = fold(words(packet, 0, ihl)) == 0xffff; // a right checksum makes the header sum to -0
            tcp = ihl;
        } else if (version == 6) {
            require(packet.length >= 40, "IPv6 packet of " + packet.length + " bytes");
            require(Short.toUnsignedInt(b.getShort(4)) == packet.length - 40, "IPv6 payload length "
                    + Short.toUnsignedInt(b.getShort(4)) + " (expected: " + (packet.length - 40) + ")");
            require(packet[6] == 6, "IPv6 next header " + packet[6] + " (expected: 6, TCP)");
            src = Arrays.copyOfRange(packet, 8, 24);
            dst = Arrays.copyOfRange(packet, 24, 40);
            ipOk = true; // IPv6 has no header checksum
            tcp = 40;
        } else {
            throw new IllegalArgumentException("IP version " + version + " (expected: 4 or 6)");
        }
        int tcpLength = packet.length - tcp;
        require(tcpLength >= 20, "TCP segment of " + tcpLength + " bytes");
        int offset = ((packet[tcp + 12] & 0xff) >>> 4) * 4;
        require(offset >= 20 && offset <= tcpLength, "TCP data offset " + offset);
        // pseudo-header: addresses, zero, protocol, TCP length (IPv6 makes the length 32 bits: same sum)
        long sum = words(src, 0, src.length) + words(dst, 0, dst.length) + 6 + tcpLength
                + words(packet, tcp, tcpLength);
        return new Segment(version, endpoint(src, b.getShort(tcp)), endpoint(dst, b.getShort(tcp + 2)),
                Integer.toUnsignedLong(b.getInt(tcp + 4)), Integer.toUnsignedLong(b.getInt(tcp + 8)),
                packet[tcp + 13] & 0xff, Short.toUnsignedInt(b.getShort(tcp + 14)),
                Arrays.copyOfRange(packet, tcp + 20, tcp + offset), Arrays.copyOfRange(packet, tcp + offset,
                packet.length), ipOk, fold(sum) == 0xffff);
    }

    /**
     * The segments of one TCP connection, checked in file order: a SYN opens it, every segment continues its
     * side's sequence exactly where the last left off, and every ACK acknowledges all the other side has sent.
     */
    static final class Connection {
        final List<Segment> segments;
        final InetSocketAddress client;
        final InetSocketAddress server;
        final long clientIsn;
        final long serverIsn;
        private final byte[] fromClient;
        private final byte[] fromServer;

        Connection(List<Segment> segments) {
            this.segments = List.copyOf(segments);
            require(!segments.isEmpty(), "no segments");
            Segment syn = segments.get(0);
            require(syn.flags() == SYN, "first segment " + syn.flagNames() + " (expected: SYN)");
            client = syn.source();
            server = syn.destination();
            clientIsn = syn.seq();
            long serverIsn = -1;
            long[] next = {clientIsn, -1}; // client, server
            for (int i = 0; i < segments.size(); i++) {
                Segment s = segments.get(i);
                int side;
                if (s.source().equals(client) && s.destination().equals(server)) {
                    side = 0;
                } else if (s.source().equals(server) && s.destination().equals(client)) {
                    side = 1;
                } else {
                    throw new IllegalArgumentException("segment " + i + " " + s.source() + " -> "
                            + s.destination() + " (expected: between " + client + " and " + server + ")");
                }
                if (side == 1 && next[1] < 0) {
                    require(s.flags() == (SYN | ACK), "server's first segment " + s.flagNames()
                            + " (expected: SYN/ACK)");
                    serverIsn = s.seq();
                    next[1] = serverIsn;
                }
                require(s.seq() == next[side], "segment " + i + " seq " + s.seq() + " (expected: " + next[side]
                        + ", where the side's last segment ended)");
                if (s.has(ACK)) {
                    require(next[1 - side] >= 0 && s.ack() == next[1 - side], "segment " + i + " ack "
                            + s.ack() + " (expected: " + next[1 - side] + ", all the other side sent)");
                } else {
                    require(i == 0, "segment " + i + " without ACK (expected: only the first SYN)");
                }
                require(!s.has(SYN) || i <= 1, "SYN in segment " + i);
                int consumed = s.payload().length + (s.has(SYN) ? 1 : 0) + (s.has(FIN) ? 1 : 0);
                next[side] = (next[side] + consumed) & 0xffffffffL;
            }
            require(serverIsn >= 0, "the server never answered the SYN");
            this.serverIsn = serverIsn;
            fromClient = reassemble(0);
            fromServer = reassemble(1);
        }

        /** Everything {@code from} sent, put together by sequence number (not by file order). */
        byte[] stream(Direction from) {
            return (from == Direction.FROM_CLIENT ? fromClient : fromServer).clone();
        }

        private byte[] reassemble(int side) {
            InetSocketAddress source = side == 0 ? client : server;
            long isn = side == 0 ? clientIsn : serverIsn;
            // offsets are taken mod 2^32: enough for test streams below 4 GiB
            TreeMap<Long, byte[]> byOffset = new TreeMap<>();
            for (Segment s : segments) {
                if (s.source().equals(source) && s.payload().length > 0) {
                    long offset = (s.seq() - isn - 1) & 0xffffffffL;
                    require(byOffset.put(offset, s.payload()) == null, "two segments at offset " + offset);
                }
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (Map.Entry<Long, byte[]> e : byOffset.entrySet()) {
                require(e.getKey() == out.size(), "segment at offset " + e.getKey() + " (expected: "
                        + out.size() + ", no gap and no overlap)");
                out.writeBytes(e.getValue());
            }
            return out.toByteArray();
        }
    }

    /** The sum of 16-bit big-endian words, the last byte padded with zero when the length is odd. */
    private static long words(byte[] b, int off, int len) {
        ByteBuffer w = ByteBuffer.wrap(b, off, len);
        long sum = 0;
        while (w.remaining() >= 2) {
            sum += Short.toUnsignedInt(w.getShort());
        }
        if (w.hasRemaining()) {
            sum += Byte.toUnsignedInt(w.get()) << 8;
        }
        return sum;
    }

    private static int fold(long sum) {
        while (sum > 0xffff) {
            sum = (sum >>> 16) + (sum & 0xffff);
        }
        return (int) sum;
    }

    private static InetSocketAddress endpoint(byte[] address, short port) {
        try {
            // getByAddress would turn ::ffff:a.b.c.d into an IPv4 address: keep IPv6 as IPv6
            InetAddress a = address.length == 16
                    ? Inet6Address.getByAddress(null, address, -1) : InetAddress.getByAddress(address);
            return new InetSocketAddress(a, Short.toUnsignedInt(port));
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
