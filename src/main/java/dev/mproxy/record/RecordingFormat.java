package dev.mproxy.record;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The recording formats we write and read (protocol-spec/recording.md): netrecord's text records (§2) and
 * MeshCentral's {@code .mcrec} (§3).
 */
public enum RecordingFormat {

    /** {@code c|s <secs>.<micros> <con|hup|err|count>\n[bytes]} records; no metadata. */
    NETRECORD("netrecord", ".netrecord"),
    /** 16-byte block headers, a JSON metadata block first and a 32-byte end block last. */
    MCREC("mcrec", ".mcrec");

    /** How many first bytes {@link #detect(Path)} reads (rule 4.1). */
    static final int DETECT_LENGTH = 4096;

    private final String word;
    private final String extension;

    RecordingFormat(String word, String extension) {
        this.word = word;
        this.extension = extension;
    }

    /**
     * Starts a recording of {@code session} on {@code out} (a {@code FileChannel}), which the writer owns and
     * closes, also when this fails. {@code .mcrec} writes its metadata block now; netrecord writes nothing until
     * the first event. Each record is one gathering write of its header and its bytes, handed to the file before
     * the writer returns, and {@link RecordingWriter#writeData} copies no direct buffer (rule 1.2).
     *
     * @throws IllegalArgumentException for {@code .mcrec}, a label named like a metadata field (rule 3.2)
     */
    public RecordingWriter open(GatheringByteChannel out, SessionInfo session) throws IOException {
        try {
            switch (this) {
                case NETRECORD:
                    return new NetrecordWriter(out, NetrecordWriter.MAX_WRITTEN_DATA);
                case MCREC:
                    return McrecWriter.open(out, session, Mcrec.MAX_WRITTEN_DATA);
                default:
                    throw new IllegalStateException("unknown format: " + this);
            }
        } catch (IOException | RuntimeException e) {
            try {
                out.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * Starts a recording on a stream, as {@link #open(GatheringByteChannel, SessionInfo)} does. Each record is
     * put together in one array (a copy) and goes to {@code out} in one {@code write}: give it an unbuffered
     * stream and it holds whole records only (rule 1.2). For streams that are not files.
     */
    public RecordingWriter open(OutputStream out, SessionInfo session) throws IOException {
        return open(new OutputStreamChannel(out), session);
    }

    /** The word that names this format on the command line: {@code netrecord} or {@code mcrec}. */
    public String word() {
        return word;
    }

    /** The file name extension, dot included (rule 1.3): {@code .netrecord} or {@code .mcrec}. */
    public String fileExtension() {
        return extension;
    }

    /** The format a command-line word names, or an exception listing the words. */
    public static RecordingFormat ofWord(String word) {
        for (RecordingFormat format : values()) {
            if (format.word.equals(word)) {
                return format;
            }
        }
        throw new IllegalArgumentException("unknown recording format: '" + word + "' (expected: netrecord or mcrec)");
    }

    /**
     * The format whose start {@code firstBytes} hold (rule 4.1), or null when they hold neither's: too few bytes
     * to tell (an empty netrecord file) count as neither.
     */
    public static RecordingFormat detect(byte[] firstBytes) {
        return detect(firstBytes, firstBytes.length);
    }

    static RecordingFormat detect(byte[] bytes, int length) {
        if (length >= Mcrec.HEADER_SIZE) {
            ByteBuffer header = ByteBuffer.wrap(bytes, 0, length);
            int type = header.getShort(0);
            int flags = header.getShort(2);
            int size = header.getInt(4);
            if (type == Mcrec.TYPE_METADATA && flags >= 0 && flags <= Mcrec.FLAG_USER && size > 0) {
                int available = Math.min(size, length - Mcrec.HEADER_SIZE);
                String json = new String(bytes, Mcrec.HEADER_SIZE, available, StandardCharsets.ISO_8859_1);
                if (json.startsWith("{") && json.contains(Mcrec.METADATA_MAGIC)) {
                    return MCREC;
                }
            }
        }
        String start = new String(bytes, 0, Math.min(length, Netrecord.MAX_HEADER_LENGTH), StandardCharsets.ISO_8859_1);
        return Netrecord.START.matcher(start).lookingAt() ? NETRECORD : null;
    }

    /** The format of {@code file} from its first bytes (rule 4.1), or an exception saying why it has none. */
    public static RecordingFormat detect(Path file) throws IOException {
        byte[] bytes = new byte[DETECT_LENGTH];
        int length;
        try (InputStream in = Files.newInputStream(file)) {
            length = in.readNBytes(bytes, 0, bytes.length);
        }
        RecordingFormat format = detect(bytes, length);
        if (format == null) {
            throw new RecordingFormatException(length == 0 ? "an empty file" : "neither format's start",
                    "an .mcrec metadata block or a netrecord header such as 'c 0.000000 con'", 0, "4.1");
        }
        return format;
    }
}
