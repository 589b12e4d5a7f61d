package dev.mproxy.record;

import static dev.mproxy.record.PcapngTcp.ACK;
import static dev.mproxy.record.PcapngTcp.SYN;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Recordings exported as pcapng and read back by an independent parser: every byte, flag, number and time. */
@Timeout(60)
class PcapngExporterTest {

    static final Instant START = Instant.parse("2026-11-24T01:12:06.123456789Z");

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void randomTrafficBothWaysReassemblesByteForByte(long seed) throws IOException {
        List<RecordedEvent> events = PcapngTraffic.random(seed, 60, true, true);
        Capture c = exportAndCheck(session(v4("203.0.113.7", 51515), v4("192.0.2.10", 8443)), events);
        assertEquals(4, c.connection.segments.get(0).ipVersion());
        assertEquals(v4("203.0.113.7", 51515), c.connection.client);
        assertEquals(v4("192.0.2.10", 8443), c.connection.server);
        assertTrue(c.connection.segments.stream().anyMatch(s -> s.payload().length == PcapngExporter.MAX_SEGMENT),
                "some event was split into full segments");
    }

    @Test
    void eventSizesAroundTheSegmentSizeSplitExactly() throws IOException {
        int[] sizes = {1, 64_999, 65_000, 65_001, 130_000, 130_001, 2};
        List<RecordedEvent> events = new ArrayList<>();
        events.add(RecordedEvent.opened(0));
        for (int i = 0; i < sizes.length; i++) {
            byte[] bytes = new byte[sizes[i]];
            for (int j = 0; j < bytes.length; j++) {
                bytes[j] = (byte) (j * 31 + i);
            }
            events.add(RecordedEvent.data(i % 2 == 0 ? Direction.FROM_CLIENT : Direction.FROM_SERVER, 10L * i, bytes));
        }
        Capture c = exportAndCheck(session(null, null), events);
        List<Integer> lengths = new ArrayList<>();
        for (PcapngTcp.Segment s : c.connection.segments) {
            if (s.payload().length > 0) {
                lengths.add(s.payload().length);
            }
        }
        assertEquals(List.of(1, 64_999, 65_000, 65_000, 1, 65_000, 65_000, 65_000, 65_000, 1, 2), lengths);
    }

    @Test
    void oneSideSilent() throws IOException {
        List<RecordedEvent> download = PcapngTraffic.random(11, 20, false, true);
        Capture c = exportAndCheck(session(null, null), download);
        assertEquals(0, c.connection.stream(Direction.FROM_CLIENT).length);
        List<RecordedEvent> upload = PcapngTraffic.random(12, 20, true, false);
        c = exportAndCheck(session(null, null), upload);
        assertEquals(0, c.connection.stream(Direction.FROM_SERVER).length);
        List<RecordedEvent> nothing = PcapngTraffic.random(13, 0, false, false);
        c = exportAndCheck(session(null, null), nothing);
        assertEquals(List.of("SYN", "SYN/ACK", "ACK", "FIN/ACK", "FIN/ACK", "ACK"), flags(c));
    }

    @Test
    void ipv6WhenBothAddressesAreIpv6() throws IOException {
        List<RecordedEvent> events = PcapngTraffic.random(21, 40, true, true);
        Capture c = exportAndCheck(session(v6("2001:db8::7", 40123), v6("2001:db8::10", 443)), events);
        assertEquals(6, c.connection.segments.get(0).ipVersion());
        assertEquals(v6("2001:db8::7", 40123), c.connection.client);
        assertEquals(v6("2001:db8::10", 443), c.connection.server);
    }

    @Test
    void ipv6WithAnIpv4SideMapsItIntoIpv6() throws IOException {
        List<RecordedEvent> events = PcapngTraffic.random(22, 40, true, true);
        Capture c = exportAndCheck(session(v6("2001:db8::7", 40123), v4("127.0.0.1", 5432)), events);
        assertEquals(6, c.connection.segments.get(0).ipVersion());
        assertArrayEquals(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1, 127, 0, 0, 1},
                c.connection.server.getAddress().getAddress());
        assertEquals(5432, c.connection.server.getPort());

        c = exportAndCheck(session(v4("198.51.100.1", 40000), v6("::1", 22)), events);
        assertArrayEquals(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1, (byte) 198, 51, 100, 1},
                c.connection.client.getAddress().getAddress());
        assertEquals(v6("::1", 22), c.connection.server);
    }

    @Test
    void missingAddressesAndPortsGetSyntheticOnes() throws IOException {
        List<RecordedEvent> events = PcapngTraffic.random(31, 5, true, true);
        Capture c = exportAndCheck(session(null, null), events);
        assertEquals(v4("10.0.0.1", 40000), c.connection.client);
        assertEquals(v4("10.0.0.2", 80), c.connection.server);

        // an unresolved address keeps its port; port 0 means unknown
        c = exportAndCheck(session(InetSocketAddress.createUnresolved("client.example", 5555),
                v4("192.0.2.1", 0)), events);
        assertEquals(v4("10.0.0.1", 5555), c.connection.client);
        assertEquals(v4("192.0.2.1", 80), c.connection.server);

        c = exportAndCheck(session(v6("2001:db8::7", 40123), null), events);
        assertEquals(v6("fd00::2", 80), c.connection.server);
        c = exportAndCheck(session(null, v6("2001:db8::10", 443)), events);
        assertEquals(v6("fd00::1", 40000), c.connection.client);
    }

    @Test
    void withoutOpenedTheHandshakeComesWithTheFirstEvent() throws IOException {
        List<RecordedEvent> events = List.of(
                RecordedEvent.data(Direction.FROM_SERVER, 700, bytes("220 ready\r\n")),
                RecordedEvent.data(Direction.FROM_CLIENT, 900, bytes("QUIT\r\n")));
        Capture c = exportAndCheck(session(null, null), events);
        assertEquals(List.of("SYN", "SYN/ACK", "ACK", "PSH/ACK", "PSH/ACK"), flags(c));
        assertEquals(PcapngTraffic.micros(START) + 700, c.file.packets.get(0).timestamp());
    }

    @Test
    void sidesStillOpenAtCloseStayOpen() throws IOException {
        List<RecordedEvent> events = List.of(RecordedEvent.opened(5),
                RecordedEvent.data(Direction.FROM_CLIENT, 6, bytes("GET / HTTP/1.1\r\n\r\n")),
                RecordedEvent.ended(Direction.FROM_CLIENT, 7));
        Capture c = exportAndCheck(session(null, null), events);
        assertEquals(List.of("SYN", "SYN/ACK", "ACK", "PSH/ACK", "FIN/ACK"), flags(c));
    }

    @Test
    void failureResetsAndLaterEndsAreIgnored() throws IOException {
        List<RecordedEvent> events = List.of(RecordedEvent.opened(0),
                RecordedEvent.data(Direction.FROM_CLIENT, 10, bytes("hello")),
                RecordedEvent.ended(Direction.FROM_CLIENT, 20),
                RecordedEvent.data(Direction.FROM_SERVER, 30, bytes("partial answ")),
                RecordedEvent.failed(Direction.FROM_SERVER, 40),
                RecordedEvent.ended(Direction.FROM_SERVER, 50),
                RecordedEvent.failed(Direction.FROM_CLIENT, 60));
        Capture c = exportAndCheck(session(null, null), events);
        assertEquals(List.of("SYN", "SYN/ACK", "ACK", "PSH/ACK", "FIN/ACK", "PSH/ACK", "RST/ACK"), flags(c));
        assertEquals(PcapngTraffic.micros(START) + 40, c.file.packets.get(6).timestamp());
    }

    @Test
    void sequenceNumbersWrapAroundAt2To32() throws IOException {
        List<RecordedEvent> events = PcapngTraffic.random(41, 40, true, true);
        Path file = tmp.resolve("wrap.pcapng");
        // the server's SYN takes its last number below 2^32: its first data byte is at sequence number 0
        try (PcapngExporter e = new PcapngExporter(PcapngTraffic.buffered(file), session(null, null),
                0xFFFF_FF00, 0xFFFF_FFFF, ByteOrder.LITTLE_ENDIAN, PcapngExporter.ACK_EVERY)) {
            for (RecordedEvent event : events) {
                e.write(event);
            }
        }
        Capture c = check(file, session(null, null), events);
        assertEquals(0xFFFF_FF00L, c.connection.clientIsn);
        assertEquals(0xFFFF_FFFFL, c.connection.serverIsn);
        assertTrue(c.connection.segments.stream().anyMatch(s -> s.source().equals(c.connection.client)
                && s.payload().length > 0 && s.seq() < 0x1000), "client's sequence numbers wrapped");
        assertTrue(c.connection.segments.stream().anyMatch(s -> s.source().equals(c.connection.server)
                && s.payload().length > 0 && s.seq() == 0), "server's first data byte at 0");
    }

    @Test
    void bigEndianSectionHoldsTheSamePackets() throws IOException {
        List<RecordedEvent> events = PcapngTraffic.random(51, 30, true, true);
        Path little = PcapngTraffic.export(tmp.resolve("le.pcapng"), session(null, null), events);
        Path big = tmp.resolve("be.pcapng");
        try (PcapngExporter e = new PcapngExporter(PcapngTraffic.buffered(big), session(null, null),
                PcapngExporter.CLIENT_ISN, PcapngExporter.SERVER_ISN, ByteOrder.BIG_ENDIAN,
                PcapngExporter.ACK_EVERY)) {
            for (RecordedEvent event : events) {
                e.write(event);
            }
        }
        Capture le = check(little, session(null, null), events);
        Capture be = check(big, session(null, null), events);
        assertEquals(ByteOrder.LITTLE_ENDIAN, le.file.section.order());
        assertEquals(ByteOrder.BIG_ENDIAN, be.file.section.order());
        assertNotEquals(-1L, Files.mismatch(little, big), "the files differ in byte order");
        assertEquals(le.file.packets.size(), be.file.packets.size());
        for (int i = 0; i < le.file.packets.size(); i++) {
            assertArrayEquals(le.file.packets.get(i).data(), be.file.packets.get(i).data(), "packet " + i);
            assertEquals(le.file.packets.get(i).timestamp(), be.file.packets.get(i).timestamp(), "packet " + i);
        }
    }

    @Test
    void headersDescribeTheSessionAndTheInterface() throws IOException {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("service", "web");
        labels.put("device", "d1");
        SessionInfo session = new SessionInfo(START, "s-7", "alice", null, null, "https", labels);
        Capture c = exportAndCheck(session, PcapngTraffic.random(61, 3, true, true));
        assertEquals("mproxy session s-7, user alice, protocol https, labels {device=d1, service=web}",
                c.file.section.option(1));
        assertEquals("mproxy", c.file.section.option(4));
        assertEquals(-1, c.file.section.length(), "section length unknown while streaming");
        assertEquals(1, c.file.interfaces.size());
        assertEquals(101, c.file.interfaces.get(0).linkType());
        assertEquals(6, c.file.interfaces.get(0).tsresol());
        assertEquals(1, c.file.interfaces.get(0).options().stream().filter(o -> o.code() == 9).count(),
                "if_tsresol written, not left to the default");

        SessionInfo bare = new SessionInfo(START, "s-8", null, null, null, null, Map.of());
        c = exportAndCheck(bare, PcapngTraffic.random(62, 3, true, true));
        assertEquals("mproxy session s-8", c.file.section.option(1));
    }

    @Test
    void longSessionCommentIsCutOnACharacterBoundary() throws IOException {
        SessionInfo session = new SessionInfo(START, "s-9", "bob", null, null, "tcp",
                Map.of("note", "\u00e9\ud83d\ude00".repeat(400)));
        Capture c = exportAndCheck(session, PcapngTraffic.random(63, 1, true, true));
        String comment = c.file.section.option(1);
        int length = comment.getBytes(StandardCharsets.UTF_8).length;
        assertTrue(length <= PcapngExporter.MAX_COMMENT && length > PcapngExporter.MAX_COMMENT - 8,
                "comment of " + length + " bytes");
        assertTrue(comment.startsWith("mproxy session s-9, user bob, protocol tcp, labels {note=\u00e9"), comment);
        assertTrue(comment.endsWith("..."), comment);
        assertFalse(comment.contains("\ufffd"), "no character cut in half");
    }

    @Test
    void timestampsKeepMicrosecondsAndDropNanoseconds() throws IOException {
        List<RecordedEvent> events = List.of(RecordedEvent.opened(1),
                RecordedEvent.data(Direction.FROM_CLIENT, 86_400_000_000L, bytes("a day later")));
        Capture c = exportAndCheck(session(null, null), events);
        assertEquals(1_795_482_726_123_457L, c.file.packets.get(0).timestamp()); // 2026-11-24T01:12:06.123457
        assertEquals(1_795_482_726_123_457L + 86_399_999_999L, c.file.packets.get(3).timestamp());
    }

    @Test
    void unacknowledgedBytesStayBelowTheAckPace() throws IOException {
        List<RecordedEvent> events = PcapngTraffic.random(71, 30, false, true);
        Path file = tmp.resolve("paced.pcapng");
        long pace = 100_000;
        try (PcapngExporter e = new PcapngExporter(PcapngTraffic.buffered(file), session(null, null),
                PcapngExporter.CLIENT_ISN, PcapngExporter.SERVER_ISN, ByteOrder.LITTLE_ENDIAN, pace)) {
            for (RecordedEvent event : events) {
                e.write(event);
            }
        }
        Capture c = decode(file);
        assertArrayEquals(PcapngTraffic.sent(events, Direction.FROM_SERVER),
                c.connection.stream(Direction.FROM_SERVER));
        long unacked = 0;
        int pureAcks = 0;
        for (PcapngTcp.Segment s : c.connection.segments) {
            if (s.source().equals(c.connection.server)) {
                unacked += s.payload().length;
                assertTrue(unacked <= pace, "unacknowledged " + unacked + " bytes");
            } else {
                unacked = 0;
                pureAcks += s.flags() == ACK && s.payload().length == 0 ? 1 : 0;
            }
        }
        assertTrue(pureAcks > 3, pureAcks + " pure ACKs from the client");

        // at the default pace a recording this small needs none beyond the handshake's and the last one
        c = exportAndCheck(session(null, null), events);
        assertEquals(2, c.connection.segments.stream()
                .filter(s -> s.flags() == ACK && s.payload().length == 0).count());
    }

    @Test
    void noEventsGiveHeadersAndNoPackets() throws IOException {
        Capture c = exportAndCheck(session(null, null), List.of());
        assertTrue(c.file.packets.isEmpty());
        assertEquals(1, c.file.interfaces.size());
    }

    @Test
    void misuseIsRefused() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PcapngExporter e = new PcapngExporter(out, session(null, null));
        e.write(RecordedEvent.opened(0));
        assertEquals("opened after the stream's first event (expected: first)",
                assertThrows(IllegalStateException.class, () -> e.write(RecordedEvent.opened(1))).getMessage());
        e.write(RecordedEvent.ended(Direction.FROM_CLIENT, 2));
        assertEquals("data from client after its end or failure", assertThrows(IllegalStateException.class,
                () -> e.write(RecordedEvent.data(Direction.FROM_CLIENT, 3, new byte[1]))).getMessage());
        e.write(RecordedEvent.data(Direction.FROM_SERVER, 3, new byte[1])); // half-closed: the server may still send
        e.close();
        e.close();
        assertThrows(IllegalStateException.class, () -> e.write(RecordedEvent.ended(Direction.FROM_SERVER, 4)));
        assertEquals(List.of("SYN", "SYN/ACK", "ACK", "FIN/ACK", "PSH/ACK"),
                flags(decode(PcapngFile.parse(out.toByteArray()))));

        SessionInfo before1970 = new SessionInfo(Instant.parse("1969-12-31T23:59:59Z"), "old", null, null, null,
                null, Map.of());
        assertThrows(IllegalArgumentException.class, () -> new PcapngExporter(new ByteArrayOutputStream(), before1970));
        PcapngExporter late = new PcapngExporter(new ByteArrayOutputStream(), session(null, null));
        assertThrows(IllegalArgumentException.class, () -> late.write(RecordedEvent.opened(Long.MAX_VALUE)));
    }

    // The checker itself: each check must be able to fail.

    @Test
    void checkerNoticesCorruptPayloadHeaderAndBlocks() throws IOException {
        for (SessionInfo session : List.of(session(null, null), session(v6("2001:db8::1", 1), null))) {
            byte[] file = Files.readAllBytes(PcapngTraffic.export(tmp.resolve("ok.pcapng"), session,
                    PcapngTraffic.random(81, 5, true, true)));
            PcapngFile parsed = PcapngFile.parse(file);
            byte[] packet = parsed.packets.get(3).data(); // first data packet
            int at = indexOf(file, packet);

            byte[] payloadFlipped = file.clone();
            payloadFlipped[at + packet.length - 1] ^= 0x40;
            PcapngTcp.Segment s = PcapngTcp.decode(PcapngFile.parse(payloadFlipped).packets.get(3).data());
            assertFalse(s.tcpChecksumOk(), "TCP checksum covers the payload");

            byte[] addressFlipped = file.clone();
            addressFlipped[at + (s.ipVersion() == 4 ? 15 : 23)] ^= 1; // last byte of the source address
            s = PcapngTcp.decode(PcapngFile.parse(addressFlipped).packets.get(3).data());
            assertFalse(s.tcpChecksumOk(), "TCP checksum covers the pseudo-header");
            assertEquals(s.ipVersion() == 6, s.ipChecksumOk(), "IPv4 checksum covers the header");

            byte[] seqChanged = file.clone();
            seqChanged[at + (s.ipVersion() == 4 ? 20 : 40) + 7] ^= 1;
            List<PcapngTcp.Segment> segments = new ArrayList<>();
            for (PcapngFile.Packet p : PcapngFile.parse(seqChanged).packets) {
                segments.add(PcapngTcp.decode(p.data()));
            }
            assertThrows(IllegalArgumentException.class, () -> new PcapngTcp.Connection(segments));

            byte[] trailerChanged = file.clone();
            trailerChanged[at + ((packet.length + 3) & ~3)] ^= 4;
            assertThrows(IllegalArgumentException.class, () -> PcapngFile.parse(trailerChanged));
        }
    }

    // ---

    record Capture(PcapngFile file, PcapngTcp.Connection connection) {
    }

    private Capture exportAndCheck(SessionInfo session, List<RecordedEvent> events) throws IOException {
        return check(PcapngTraffic.export(Files.createTempFile(tmp, "export", ".pcapng"), session, events),
                session, events);
    }

    /**
     * Checks {@code file} against the recording: checksums, each side's bytes, and the packets' order, flags,
     * lengths and times against those the events call for.
     */
    static Capture check(Path file, SessionInfo session, List<RecordedEvent> events) throws IOException {
        Capture c = decode(file);
        assertEquals(PcapngExporter.comment(session), c.file.section.option(1));
        if (events.isEmpty()) {
            return c;
        }
        for (Direction d : Direction.values()) {
            assertArrayEquals(PcapngTraffic.sent(events, d), c.connection.stream(d), d + " bytes");
        }
        List<String> expected = expectedPackets(PcapngTraffic.micros(session.start()), events);
        List<String> actual = new ArrayList<>();
        for (int i = 0; i < c.file.packets.size(); i++) {
            PcapngTcp.Segment s = c.connection.segments.get(i);
            actual.add((s.source().equals(c.connection.client) ? "c " : "s ") + s.flagNames() + " "
                    + s.payload().length + " @" + c.file.packets.get(i).timestamp());
            assertEquals(65535, s.window());
            assertEquals(s.has(SYN) ? 8 : 0, s.options().length, "MSS and window scale in SYNs only");
        }
        assertEquals(expected, actual);
        return c;
    }

    static Capture decode(Path file) throws IOException {
        return decode(PcapngFile.read(file));
    }

    static Capture decode(PcapngFile file) {
        assertEquals(1, file.interfaces.size());
        assertEquals(PcapngExporter.LINKTYPE_RAW, file.interfaces.get(0).linkType());
        assertEquals(6, file.interfaces.get(0).tsresol());
        List<PcapngTcp.Segment> segments = new ArrayList<>();
        for (PcapngFile.Packet p : file.packets) {
            assertEquals(p.data().length, p.originalLength(), "whole packets");
            PcapngTcp.Segment s = PcapngTcp.decode(p.data());
            assertTrue(s.ipChecksumOk(), "IP header checksum");
            assertTrue(s.tcpChecksumOk(), "TCP checksum");
            segments.add(s);
        }
        return new Capture(file, segments.isEmpty() ? null : new PcapngTcp.Connection(segments));
    }

    /** What the events call for, one "side flags length @time" per packet (see PcapngExporter's Javadoc). */
    private static List<String> expectedPackets(long start, List<RecordedEvent> events) {
        List<String> packets = new ArrayList<>();
        boolean[] done = new boolean[2];
        boolean reset = false;
        for (RecordedEvent e : events) {
            long t = start + e.micros();
            String side = e.side() == Direction.FROM_CLIENT ? "c " : "s ";
            String other = e.side() == Direction.FROM_CLIENT ? "s " : "c ";
            if (packets.isEmpty()) {
                packets.add("c SYN 0 @" + t);
                packets.add("s SYN/ACK 0 @" + t);
                packets.add("c ACK 0 @" + t);
            }
            switch (e.kind()) {
                case DATA:
                    for (int off = 0; off < e.bytes().length; off += PcapngExporter.MAX_SEGMENT) {
                        int len = Math.min(PcapngExporter.MAX_SEGMENT, e.bytes().length - off);
                        packets.add(side + (off + len == e.bytes().length ? "PSH/ACK " : "ACK ") + len + " @" + t);
                    }
                    break;
                case ENDED:
                    if (!done[e.side().ordinal()] && !reset) {
                        done[e.side().ordinal()] = true;
                        packets.add(side + "FIN/ACK 0 @" + t);
                        if (done[e.side().opposite().ordinal()]) {
                            packets.add(other + "ACK 0 @" + t);
                        }
                    }
                    break;
                case FAILED:
                    if (!reset && !(done[0] && done[1])) {
                        done[e.side().ordinal()] = true;
                        reset = true;
                        packets.add(side + "RST/ACK 0 @" + t);
                    }
                    break;
                default:
                    break;
            }
        }
        return packets;
    }

    private static List<String> flags(Capture c) {
        List<String> flags = new ArrayList<>();
        for (PcapngTcp.Segment s : c.connection.segments) {
            flags.add(s.flagNames());
        }
        return flags;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("packet not found in its file");
    }

    static SessionInfo session(InetSocketAddress client, InetSocketAddress server) {
        return new SessionInfo(START, "s-1", "alice", client, server, "tcp", Map.of("device", "d1"));
    }

    static InetSocketAddress v4(String address, int port) {
        return new InetSocketAddress(address(address), port);
    }

    static InetSocketAddress v6(String address, int port) {
        return new InetSocketAddress(address(address), port);
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal); // a literal: no lookup
        } catch (IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
