package dev.mproxy.relay;

import dev.mproxy.files.SecureFiles;
import dev.mproxy.record.Direction;
import dev.mproxy.record.RecordingFormat;
import dev.mproxy.record.SessionInfo;
import io.netty.util.concurrent.DefaultEventExecutorGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorGroup;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where recordings go and the threads that write them: hands out one {@link RecordingTap} per recording, in one
 * format. Files are created {@code 0600} and never overwritten; writing never runs on an event loop.
 */
public final class Recorder implements AutoCloseable {

    /** Longest part of a stream's file name: four parts stay well under the usual 255-byte limit. */
    private static final int MAX_NAME_PART = 64;
    private static final DateTimeFormatter FILE_TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);

    private final Path directory;
    private final RecordingFormat format;
    private final EventExecutorGroup writers = new DefaultEventExecutorGroup(2,
            new DefaultThreadFactory("mproxy-recorder", true));
    private final AtomicLong streams = new AtomicLong();
    private final RecordingCounters counters = new RecordingCounters();

    private Recorder(Path directory, RecordingFormat format) {
        this.directory = directory;
        this.format = format;
    }

    /** Records in {@code format}; files are named by whoever asks for a tap. */
    public static Recorder of(RecordingFormat format) {
        return new Recorder(null, format);
    }

    /**
     * Records each stream to its own file in {@code directory} (recording.md §6.8), which is created {@code 0700}
     * when missing and must be closed to group and others when it exists.
     *
     * @throws IOException naming the directory and what is wrong with it
     */
    public static Recorder inDirectory(Path directory, RecordingFormat format) throws IOException {
        SecureFiles.createPrivateDirectory(directory);
        return new Recorder(directory, format);
    }

    public RecordingFormat format() {
        return format;
    }

    /** Bytes recorded and recordings failed, over every tap this recorder handed out. */
    public RecordingCounters counters() {
        return counters;
    }

    /** Where stream recordings go; null for a recorder whose files are named by its user. */
    public Path directory() {
        return directory;
    }

    /**
     * A tap writing to {@code file}, created when the first event is written. Event times count from
     * {@code originNanos} ({@link System#nanoTime()}), the instant of {@code session}'s start; {@code loop} is the
     * relay's event loop, where the tap reports.
     */
    public RecordingTap tap(Path file, EventExecutor loop, SessionInfo session, long originNanos) {
        return new RecordingTap(file.toString(), loop, writers.next(),
                () -> format.open(SecureFiles.createPrivateChannel(file), session), originNanos, counters);
    }

    /**
     * A tap for one stream of {@code device}, starting now, in this recorder's directory:
     * {@code <UTC time>_<device>_<stream>_<client address>_<n><extension>}, where {@code stream} names the service
     * (say {@code https-pi.example.com}, {@code tcp-5000} or {@code relay-ID}) and {@code n} counts streams; every
     * part is made safe for a file name. {@code sessionId} goes into the recording, or the file's name when null.
     */
    public RecordingTap streamTap(EventExecutor loop, String sessionId, String device, String stream,
            InetSocketAddress client, InetSocketAddress server, String protocol, Map<String, String> labels) {
        return streamTap(loop, sessionId, device, stream, client, server, protocol, labels,
                EnumSet.of(Direction.FROM_CLIENT));
    }

    /**
     * {@link #streamTap(EventExecutor, String, String, String, InetSocketAddress, InetSocketAddress, String, Map)}
     * for a stream whose user's sides, as MeshCentral's {@code .mcrec} flags them, are {@code userSides}
     * ({@link SessionInfo#userSides()}): a rendezvous pair's {@code browser=1} peers.
     */
    public RecordingTap streamTap(EventExecutor loop, String sessionId, String device, String stream,
            InetSocketAddress client, InetSocketAddress server, String protocol, Map<String, String> labels,
            Set<Direction> userSides) {
        if (directory == null) {
            throw new IllegalStateException("this recorder names no files itself");
        }
        long originNanos = System.nanoTime();
        Instant start = Instant.now();
        String name = FILE_TIME.format(start) + '_' + fileNamePart(device) + '_' + fileNamePart(stream) + '_'
                + fileNamePart((client.getAddress() == null ? client.getHostString()
                        : client.getAddress().getHostAddress()) + '-' + client.getPort()) + '_'
                + streams.incrementAndGet();
        SessionInfo session = new SessionInfo(start, sessionId == null ? name : sessionId, device, client, server,
                protocol, labels, userSides);
        return tap(directory.resolve(name + format.fileExtension()), loop, session, originNanos);
    }

    /**
     * {@code text} as one part of a file name: characters other than ASCII letters, digits, {@code .}, {@code -}
     * and {@code _} become {@code _} (so an IPv6 address's colons and a device id's slashes cannot make a path),
     * a leading dot too, and the result is cut at 64 characters.
     */
    static String fileNamePart(String text) {
        StringBuilder part = new StringBuilder(Math.min(text.length(), MAX_NAME_PART));
        for (int i = 0; i < text.length() && part.length() < MAX_NAME_PART; i++) {
            char c = text.charAt(i);
            boolean safe = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-'
                    || c == '_' || c == '.' && part.length() > 0;
            part.append(safe ? c : '_');
        }
        return part.length() == 0 ? "_" : part.toString();
    }

    /** Waits, up to 10 s, for every recording to be finished, then stops the writer threads. */
    @Override
    public void close() {
        writers.shutdownGracefully(0, 10, TimeUnit.SECONDS).awaitUninterruptibly(15, TimeUnit.SECONDS);
    }
}
