package dev.mproxy.protocol;

import io.netty.handler.codec.DecoderException;

/**
 * Input that breaks a rule of protocol-spec/m-proxy-v1.md. The message says what was found, what was
 * expected, where in the stream, and which rule; the decoder that raised it stays corrupt.
 */
public final class MproxyProtocolException extends DecoderException {

    private static final long serialVersionUID = 1L;

    private final long offset;
    private final String rule;

    /**
     * @param found    what the input held, e.g. {@code "version byte 0x47"}
     * @param expected what the rule requires, e.g. {@code "0xfe"}
     * @param offset   byte offset in the stream of the first offending byte
     * @param rule     the rule number in protocol-spec/m-proxy-v1.md, e.g. {@code "2.1"}
     */
    public MproxyProtocolException(String found, String expected, long offset, String rule) {
        super(found + " at offset " + offset + " (expected: " + expected + ") [M-PROXY rule " + rule + ']');
        this.offset = offset;
        this.rule = rule;
    }

    /** Byte offset in the decoded stream of the first offending byte. */
    public long offset() {
        return offset;
    }

    /** The broken rule's number in protocol-spec/m-proxy-v1.md. */
    public String rule() {
        return rule;
    }
}
