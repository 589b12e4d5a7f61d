package dev.mproxy.record;

import static dev.mproxy.record.PcapngExporterTest.session;
import static dev.mproxy.record.PcapngExporterTest.v4;
import static dev.mproxy.record.PcapngExporterTest.v6;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Wireshark's reading of exported captures: tshark's "Follow TCP Stream" gives back each side's bytes, every
 * checksum validates, and its TCP analysis finds nothing to warn about. Skipped where tshark is not installed.
 */
@Timeout(180)
class PcapngTsharkTest {

    private static final long TSHARK_SECONDS = 60;

    @TempDir
    Path tmp;

    private int runs;

    /** Whether {@code tshark --version} runs; asked once. */
    private static Boolean available;

    @BeforeEach
    void requireTshark() {
        if (available == null) {
            available = runs("tshark", "--version");
        }
        // per test, so each shows up as skipped
        assumeTrue(available, "tshark is not on the PATH");
    }

    private static boolean runs(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(TSHARK_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Test
    void ipv4() throws Exception {
        List<RecordedEvent> events = PcapngTraffic.random(101, 60, true, true);
        Path file = PcapngTraffic.export(tmp.resolve("v4.pcapng"), session(v4("203.0.113.7", 51515),
                v4("192.0.2.10", 8443)), events);
        assertWiresharkAgrees(file, events, 8443, true);
    }

    @Test
    void ipv6WithAnIpv4MappedSide() throws Exception {
        List<RecordedEvent> events = PcapngTraffic.random(102, 60, true, true);
        Path file = PcapngTraffic.export(tmp.resolve("v6.pcapng"), session(v6("2001:db8::7", 40123),
                v4("127.0.0.1", 5432)), events);
        assertWiresharkAgrees(file, events, 5432, false);
    }

    @Test
    void syntheticAddresses() throws Exception {
        List<RecordedEvent> events = PcapngTraffic.random(103, 30, true, true);
        Path file = PcapngTraffic.export(tmp.resolve("synthetic.pcapng"), session(null, null), events);
        assertWiresharkAgrees(file, events, 80, true);
    }

    @Test
    void sequenceNumbersWrappingAt2To32() throws Exception {
        List<RecordedEvent> events = PcapngTraffic.random(104, 60, true, true);
        Path file = tmp.resolve("wrap.pcapng");
        // not 0xFFFFFFFF for the server: the handshake's ACK would then acknowledge 0, the very number the
        // SYN's unused ack field holds, and Wireshark would call it a duplicate ACK
        write(file, session(v6("2001:db8::7", 40123), v6("2001:db8::10", 443)), events, 0xFFFF_FF00, 0xFFFF_FFF0,
                ByteOrder.LITTLE_ENDIAN, PcapngExporter.ACK_EVERY);
        assertWiresharkAgrees(file, events, 443, false);
    }

    @Test
    void bigEndianSectionWithPacedAcks() throws Exception {
        List<RecordedEvent> events = PcapngTraffic.random(105, 40, false, true);
        Path file = tmp.resolve("be.pcapng");
        write(file, session(v4("198.51.100.1", 40000), v4("198.51.100.2", 9000)), events,
                PcapngExporter.CLIENT_ISN, PcapngExporter.SERVER_ISN, ByteOrder.BIG_ENDIAN, 100_000);
        assertWiresharkAgrees(file, events, 9000, true);
    }

    @Test
    void resetIsTheOnlyWarning() throws Exception {
        List<RecordedEvent> events = new ArrayList<>(PcapngTraffic.random(106, 20, true, true));
        RecordedEvent last = events.remove(events.size() - 1);
        events.remove(events.size() - 1); // both ENDED: the server fails instead
        events.add(RecordedEvent.failed(Direction.FROM_SERVER, last.micros()));
        Path file = PcapngTraffic.export(tmp.resolve("rst.pcapng"), session(null, null), events);
        String expert = tshark(file, 80, "-Y", "_ws.expert.severity >= warning || _ws.malformed",
                "-T", "fields", "-e", "tcp.flags.reset", "-e", "_ws.expert.message");
        assertEquals("1\tConnection reset (RST)\n", expert);
        assertFollowed(file, events, 80);
    }

    private void assertWiresharkAgrees(Path file, List<RecordedEvent> events, int serverPort, boolean ipv4)
            throws Exception {
        int packets = PcapngFile.read(file).packets.size();
        assertFollowed(file, events, serverPort);

        // with validation on, every checksum is "good" (1), not merely "unverified" (2)
        String status = tshark(file, serverPort, "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE",
                "-T", "fields", "-e", "ip.checksum.status", "-e", "tcp.checksum.status");
        assertEquals((ipv4 ? "1\t1\n" : "\t1\n").repeat(packets), status);

        String complaints = tshark(file, serverPort, "-o", "tcp.check_checksum:TRUE", "-o",
                "ip.check_checksum:TRUE", "-Y", "_ws.expert.severity >= warning || _ws.malformed || tcp.analysis.flags",
                "-T", "fields", "-e", "frame.number", "-e", "_ws.expert.message");
        assertEquals("", complaints, "tshark's expert findings");
    }

    /** tshark's "Follow TCP Stream" of the only stream, as raw hex: node 0 (the SYN's sender) is the client. */
    private void assertFollowed(Path file, List<RecordedEvent> events, int serverPort) throws Exception {
        String follow = tshark(file, serverPort, "-q", "-z", "follow,tcp,raw,0");
        ByteArrayOutputStream[] sides = {new ByteArrayOutputStream(), new ByteArrayOutputStream()};
        boolean inData = false;
        int separators = 0;
        for (String line : follow.split("\n", -1)) {
            if (line.startsWith("=====")) {
                separators++;
                inData = false;
            } else if (line.startsWith("Node 1: ")) {
                assertTrue(line.endsWith(":" + serverPort), line);
                inData = true;
            } else if (inData && !line.isEmpty()) {
                // node 1's chunks are indented with a tab
                int side = line.startsWith("\t") ? 1 : 0;
                sides[side].writeBytes(HexFormat.of().parseHex(line.strip()));
            }
        }
        assertEquals(2, separators, follow.length() > 2000 ? follow.substring(0, 2000) : follow);
        assertArrayEquals(PcapngTraffic.sent(events, Direction.FROM_CLIENT), sides[0].toByteArray(), "client bytes");
        assertArrayEquals(PcapngTraffic.sent(events, Direction.FROM_SERVER), sides[1].toByteArray(), "server bytes");
    }

    /**
     * Runs tshark on {@code file} with {@code args} and returns its output. No name resolution; the server's
     * port is decoded as plain data, so random test bytes on port 80 are not taken for broken HTTP.
     */
    private String tshark(Path file, int serverPort, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("tshark", "-n", "-r", file.toString(),
                "-d", "tcp.port==" + serverPort + ",data"));
        command.addAll(List.of(args));
        int run = ++runs;
        Path out = tmp.resolve("tshark-" + run + ".out");
        Path err = tmp.resolve("tshark-" + run + ".err");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(TSHARK_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            fail("tshark did not finish within " + TSHARK_SECONDS + " s: " + command);
        }
        String errors = Files.readString(err, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), () -> command + " failed: " + errors);
        return Files.readString(out, StandardCharsets.UTF_8);
    }

    private static void write(Path file, SessionInfo session, List<RecordedEvent> events, int clientIsn,
            int serverIsn, ByteOrder order, long ackEvery) throws IOException {
        try (PcapngExporter e = new PcapngExporter(PcapngTraffic.buffered(file), session, clientIsn, serverIsn,
                order, ackEvery)) {
            for (RecordedEvent event : events) {
                e.write(event);
            }
        }
    }
}
