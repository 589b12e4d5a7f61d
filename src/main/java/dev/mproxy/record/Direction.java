package dev.mproxy.record;

/**
 * Which side of a recorded stream an event belongs to. The client is the side that opened the connection
 * (the public client at a gateway, the connecting peer at the record proxy); netrecord writes it as {@code c}
 * and the server side as {@code s}.
 */
public enum Direction {
    /** Bytes sent by the client, or the client's side ending. */
    FROM_CLIENT('c'),
    /** Bytes sent by the server, or the server's side ending. */
    FROM_SERVER('s');

    private final char letter;

    Direction(char letter) {
        this.letter = letter;
    }

    /** netrecord's letter for this side: {@code c} or {@code s}. */
    public char letter() {
        return letter;
    }

    public Direction opposite() {
        return this == FROM_CLIENT ? FROM_SERVER : FROM_CLIENT;
    }

    /** The side netrecord writes as {@code letter}, or an exception naming what was expected. */
    public static Direction ofLetter(char letter) {
        switch (letter) {
            case 'c':
                return FROM_CLIENT;
            case 's':
                return FROM_SERVER;
            default:
                throw new IllegalArgumentException("unknown side: '" + letter + "' (expected: 'c' or 's')");
        }
    }
}
