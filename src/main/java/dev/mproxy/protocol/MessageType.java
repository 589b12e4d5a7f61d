package dev.mproxy.protocol;

/**
 * The kind of an M-PROXY message, named by the header's 5th field (rule 3.1). Any word other than the six
 * reserved ones names the service of a {@link #DATA} message.
 */
public enum MessageType {
    /** A new client stream; the real service is in the 8th field (rule 3.4). */
    CONNECTION("connection"),
    /** Bytes of a stream; the 5th field is the service, such as {@code https} or {@code tcp}. */
    DATA(null),
    /** No more bytes in this direction (rule 3.5). */
    END("end"),
    /** The stream failed; the body is {@code {"message","code"}} (rule 3.6). */
    ERROR("error"),
    /** Stop sending this stream's bytes; the body is a JSON number (rule 3.7). */
    PAUSE("pause"),
    /** Sending this stream's bytes may go on (rule 3.7). */
    RESUME("resume"),
    /** A message for the peer itself, not a stream; the body is a JSON array (rule 3.8). */
    CONTROL("control");

    private final String word;

    MessageType(String word) {
        this.word = word;
    }

    /**
     * The reserved word this kind puts in the header's 5th field, or {@code null} for {@link #DATA}, whose
     * 5th field is the service.
     */
    public String word() {
        return word;
    }

    /** The kind named by a header's 5th field: one of the six reserved words, else {@link #DATA}. */
    public static MessageType ofField(String serviceField) {
        switch (serviceField) {
            case "connection":
                return CONNECTION;
            case "end":
                return END;
            case "error":
                return ERROR;
            case "pause":
                return PAUSE;
            case "resume":
                return RESUME;
            case "control":
                return CONTROL;
            default:
                return DATA;
        }
    }

    /** The lower-case name used in {@code unpack} output and logs. */
    public String displayName() {
        return this == DATA ? "data" : word;
    }
}
