package dev.mproxy.record;

import java.util.Arrays;
import java.util.Objects;

/**
 * One event of a recorded stream, at {@code micros} microseconds after its recording's
 * {@link SessionInfo#start() start}. Data events carry the bytes exactly as forwarded, in order, and whether
 * they were a text message; the others carry none.
 */
public final class RecordedEvent {

    /** What happened. */
    public enum Kind {
        /** The client's connection was accepted (netrecord's {@code c <ts> con}). */
        OPENED,
        /** {@link #side()} sent {@link #bytes()}. */
        DATA,
        /** {@link #side()} ended its output cleanly: a FIN, an {@code end} (netrecord's {@code hup}). */
        ENDED,
        /** {@link #side()} failed: a reset, an {@code error}, a write that could not be done ({@code err}). */
        FAILED
    }

    private static final byte[] NO_BYTES = new byte[0];

    private final Kind kind;
    private final Direction side;
    private final long micros;
    private final byte[] bytes;
    private final boolean text;

    private RecordedEvent(Kind kind, Direction side, long micros, byte[] bytes, boolean text) {
        if (micros < 0) {
            throw new IllegalArgumentException("micros: " + micros + " (expected: >= 0)");
        }
        this.kind = kind;
        this.side = Objects.requireNonNull(side, "side");
        this.micros = micros;
        this.bytes = bytes;
        this.text = text;
    }

    public static RecordedEvent opened(long micros) {
        return new RecordedEvent(Kind.OPENED, Direction.FROM_CLIENT, micros, NO_BYTES, false);
    }

    /** Binary data. Takes ownership of {@code bytes}: the caller must not change them afterwards. */
    public static RecordedEvent data(Direction from, long micros, byte[] bytes) {
        return data(from, micros, bytes, false);
    }

    /**
     * Data that was a text message (a WebSocket text frame), which {@code .mcrec} keeps apart from binary data
     * (rule 3.3). Takes ownership of {@code bytes}.
     */
    public static RecordedEvent text(Direction from, long micros, byte[] bytes) {
        return data(from, micros, bytes, true);
    }

    private static RecordedEvent data(Direction from, long micros, byte[] bytes, boolean text) {
        if (bytes.length == 0) {
            throw new IllegalArgumentException("data event without bytes");
        }
        return new RecordedEvent(Kind.DATA, from, micros, bytes, text);
    }

    public static RecordedEvent ended(Direction side, long micros) {
        return new RecordedEvent(Kind.ENDED, side, micros, NO_BYTES, false);
    }

    public static RecordedEvent failed(Direction side, long micros) {
        return new RecordedEvent(Kind.FAILED, side, micros, NO_BYTES, false);
    }

    public Kind kind() {
        return kind;
    }

    /** The sender of data, or the side that ended or failed; {@link Direction#FROM_CLIENT} for OPENED. */
    public Direction side() {
        return side;
    }

    /** Microseconds since the recording's start. */
    public long micros() {
        return micros;
    }

    /** The bytes of a DATA event (not a copy: do not change them); empty for the other kinds. */
    public byte[] bytes() {
        return bytes;
    }

    /**
     * Whether a DATA event was a text message rather than binary data; only {@code .mcrec} keeps the difference,
     * so an event read from netrecord is never text. False for the other kinds.
     */
    public boolean isText() {
        return text;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof RecordedEvent)) {
            return false;
        }
        RecordedEvent e = (RecordedEvent) o;
        return kind == e.kind && side == e.side && micros == e.micros && text == e.text
                && Arrays.equals(bytes, e.bytes);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, side, micros, text, Arrays.hashCode(bytes));
    }

    @Override
    public String toString() {
        return kind + " " + side.letter() + " @" + micros + "us" + (kind == Kind.DATA ? " " + bytes.length + "B" : "")
                + (text ? " text" : "");
    }
}
