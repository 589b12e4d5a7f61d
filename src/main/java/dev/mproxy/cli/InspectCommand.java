package dev.mproxy.cli;

import dev.mproxy.files.SecureFiles;
import dev.mproxy.record.Direction;
import dev.mproxy.record.McrecRepair;
import dev.mproxy.record.PcapngExporter;
import dev.mproxy.record.RecordedEvent;
import dev.mproxy.record.RecordedEvent.Kind;
import dev.mproxy.record.RecordingFormat;
import dev.mproxy.record.RecordingFormatException;
import dev.mproxy.record.RecordingReader;
import dev.mproxy.record.SessionInfo;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code mproxy inspect FILE}: what a recording holds, its records, and a pcapng capture of it. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {
            "Summarise a recording (netrecord or .mcrec, told apart by its first bytes): start, duration, bytes "
                + "and records each way, and how each side ended.",
            "",
            "A file cut short (a recorder that crashed or was killed) is read up to its last complete record and "
                + "reported as truncated; --repair gives such an .mcrec its end block so MeshCentral's player "
                + "opens it. Bytes that cannot be a record stop the reading with the offset and what was "
                + "expected, exit code 65.",
            ""
        })
final class InspectCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "The recording.")
    Path file;

    @Option(names = "--dump", description = "Print every record: text where it is printable, hex otherwise.")
    boolean dump;

    @Option(names = "--pcapng", paramLabel = "OUT",
            description = "Also write the stream as a pcapng capture (synthetic TCP packets carrying the recorded "
                + "bytes at their times) for Wireshark or tshark; OUT must not exist.")
    Path pcapng;

    @Option(names = "--repair", description = "Complete an .mcrec cut short: drop a partial last block, add the "
            + "end block. The file is changed in place.")
    boolean repair;

    @Option(names = "--start", paramLabel = "INSTANT",
            description = "When a netrecord file's clock started (ISO-8601, e.g. 2026-11-24T10:00:00Z). netrecord "
                + "keeps no start; without this it is the file's modification time less its last record's time.")
    String start;

    @Override
    public Integer call() throws Exception {
        Instant netrecordStart = parseStart();
        PrintWriter out = spec.commandLine().getOut();
        try {
            if (repair) {
                long cut = McrecRepair.repair(file);
                out.println("repaired " + file + ": end block appended" + (cut == 0 ? ""
                        : " after cutting off a partial block of " + cut + " bytes"));
            }
            Summary summary = read(out, netrecordStart);
            summary.print(out);
            out.flush();
            return ExitCodes.OK;
        } catch (RecordingFormatException e) {
            out.flush();
            throw CommandException.badInput(file + ": " + e.getMessage(), e);
        } catch (FileAlreadyExistsException e) {
            throw CommandException.failure(e.getFile() + " exists: a capture is never written over one");
        } catch (NoSuchFileException e) {
            throw CommandException.failure(e.getFile() + ": no such file");
        } catch (IOException e) {
            throw CommandException.failure(file + ": " + e.getMessage());
        }
    }

    private Instant parseStart() {
        if (start == null) {
            return null;
        }
        try {
            return Instant.parse(start);
        } catch (DateTimeParseException e) {
            throw new ParameterException(spec.commandLine(), "invalid value for option '--start': '" + start
                    + "' (expected: an ISO-8601 instant such as 2026-11-24T10:00:00Z)");
        }
    }

    private Summary read(PrintWriter out, Instant netrecordStart) throws IOException {
        try (RecordingReader reader = RecordingReader.open(file, netrecordStart);
             OutputStream capture = pcapng == null ? null : SecureFiles.createPrivateOutput(pcapng);
             PcapngExporter exporter = capture == null ? null : new PcapngExporter(capture, reader.session())) {
            Summary summary = new Summary(reader.format(), reader.session(), netrecordStart == null);
            RecordedEvent event;
            while ((event = reader.next()) != null) {
                summary.add(event);
                if (dump) {
                    dumpRecord(out, event);
                }
                if (exporter != null) {
                    exporter.write(event);
                }
            }
            summary.truncation = reader.truncated() ? reader.truncation() : null;
            return summary;
        }
    }

    private static void dumpRecord(PrintWriter out, RecordedEvent event) {
        String at = seconds(event.micros()) + ' ' + event.side().letter() + ' ';
        switch (event.kind()) {
            case OPENED:
                out.println(at + "opened");
                break;
            case ENDED:
                out.println(at + "ended (hup)");
                break;
            case FAILED:
                out.println(at + "failed (err)");
                break;
            default:
                byte[] bytes = event.bytes();
                out.println(at + bytes.length + (bytes.length == 1 ? " byte" : " bytes")
                        + (event.isText() ? " (text message)" : ""));
                if (printable(bytes)) {
                    for (String line : new String(bytes, StandardCharsets.US_ASCII).split("\n", -1)) {
                        out.println("    | " + line.replace("\r", "\\r").replace("\t", "\\t"));
                    }
                } else {
                    out.println(ByteBufUtil.prettyHexDump(Unpooled.wrappedBuffer(bytes)));
                }
        }
    }

    /** ASCII text with line breaks and tabs: shown as text rather than hex. */
    private static boolean printable(byte[] bytes) {
        for (byte b : bytes) {
            if ((b < 0x20 || b > 0x7e) && b != '\n' && b != '\r' && b != '\t') {
                return false;
            }
        }
        return true;
    }

    /** {@code <secs>.<6-digit micros>}, as netrecord writes times. */
    private static String seconds(long micros) {
        return String.format("%d.%06d", micros / 1_000_000, micros % 1_000_000);
    }

    /** What the summary says, gathered record by record. */
    private static final class Summary {
        final RecordingFormat format;
        final SessionInfo session;
        final boolean estimatedStart;
        final Map<Direction, long[]> counts = new EnumMap<>(Direction.class); // bytes, data records
        final Map<Direction, String> endings = new EnumMap<>(Direction.class);
        long first = -1;
        long last;
        String truncation;

        Summary(RecordingFormat format, SessionInfo session, boolean estimatedStart) {
            this.format = format;
            this.session = session;
            this.estimatedStart = estimatedStart;
            for (Direction d : Direction.values()) {
                counts.put(d, new long[2]);
            }
        }

        void add(RecordedEvent event) {
            if (first < 0) {
                first = event.micros();
            }
            last = event.micros();
            if (event.kind() == Kind.DATA) {
                counts.get(event.side())[0] += event.bytes().length;
                counts.get(event.side())[1]++;
            } else if (event.kind() == Kind.ENDED) {
                endings.putIfAbsent(event.side(), "ended (hup) at " + seconds(event.micros()) + " s");
            } else if (event.kind() == Kind.FAILED) {
                endings.putIfAbsent(event.side(), "failed (err) at " + seconds(event.micros()) + " s");
            }
        }

        void print(PrintWriter out) {
            boolean netrecord = format == RecordingFormat.NETRECORD;
            out.println("format:   " + format.word());
            if (!netrecord) {
                out.println("session:  " + session.sessionId()
                        + (session.user() == null ? "" : ", user " + session.user())
                        + (session.protocol() == null ? "" : ", protocol " + session.protocol())
                        + (session.labels().isEmpty() ? "" : ", " + session.labels()));
                out.println("client:   " + (session.client() == null ? "unknown" : session.client()));
                out.println("server:   " + (session.server() == null ? "unknown" : session.server()));
            }
            Instant begin = session.start().plusNanos(Math.max(first, 0) * 1000);
            out.println("start:    " + begin + (netrecord && estimatedStart
                    ? " (estimated from the file's modification time; --start sets it)" : ""));
            out.println("duration: " + seconds(first < 0 ? 0 : last - first) + " s");
            for (Direction d : Direction.values()) {
                long[] c = counts.get(d);
                out.println((d == Direction.FROM_CLIENT ? "from client: " : "from server: ") + c[0] + " bytes in "
                        + c[1] + (c[1] == 1 ? " record, " : " records, ")
                        + endings.getOrDefault(d, truncation == null ? "still open at the end" : "cut short"));
            }
            out.println("file:     " + (truncation == null ? "complete" : "truncated: " + truncation));
        }
    }
}
