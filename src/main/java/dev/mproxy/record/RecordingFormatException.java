package dev.mproxy.record;

import java.io.IOException;

/**
 * A recording that breaks a rule of protocol-spec/recording.md in a way a cut-short file cannot explain:
 * bytes that are not a record where one must start. The message says what was found, where and what was
 * expected. A file that merely ends early is not an error: readers report it through
 * {@link RecordingReader#truncated()}.
 */
public final class RecordingFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    private final long offset;
    private final String rule;

    /**
     * @param found    what the file held, e.g. {@code "unknown block type 9"}
     * @param expected what the rule requires, e.g. {@code "1 to 4"}
     * @param offset   byte offset in the file of the record that breaks the rule
     * @param rule     the rule number in protocol-spec/recording.md, e.g. {@code "3.1"}
     */
    public RecordingFormatException(String found, String expected, long offset, String rule) {
        super(found + " at byte " + offset + " (expected: " + expected + ") [recording rule " + rule + ']');
        this.offset = offset;
        this.rule = rule;
    }

    /** Byte offset in the file of the record that breaks the rule. */
    public long offset() {
        return offset;
    }

    /** The broken rule's number in protocol-spec/recording.md. */
    public String rule() {
        return rule;
    }
}
