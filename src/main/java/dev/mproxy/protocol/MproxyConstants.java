package dev.mproxy.protocol;

/**
 * Numbers fixed by the M-PROXY v1 wire format (protocol-spec §2) and the limits this project applies to it.
 */
public final class MproxyConstants {

    /** The version byte of v1: {@code 255 - 1}, as proxy-packer writes it (rule 2.1). */
    public static final byte VERSION_1 = (byte) 0xFE;

    /** The header length is one unsigned byte, so a header holds at most 255 bytes (rule 2.2). */
    public static final int MAX_HEADER_LENGTH = 255;

    /** Fewest header fields: {@code family,address,port,datalen,service} (rule 2.4). */
    public static final int MIN_FIELDS = 5;

    /** Most header fields: a {@code connection} header adds the real service as the 8th field (rule 2.4). */
    public static final int MAX_FIELDS = 8;

    /**
     * Default upper bound on a body (rule 2.6). proxy-packer has none; 1 MiB is far above the 64 KiB chunks
     * real peers send and keeps one corrupt length from making us buffer gigabytes.
     */
    public static final int DEFAULT_MAX_BODY_LENGTH = 1024 * 1024;

    /**
     * Longest host name a stream can carry (protocol-spec/routing.md 1.3). The longest header with a name is
     * a {@code connection} from the longest IPv6 text: {@code IPv6,} + 39 + {@code ,65535,0,connection,65535,}
     * + name + {@code ,https} is 76 bytes plus the name, and must fit in 255 (rule 2.2). Data headers are
     * shorter: their datalen has at most 7 digits against the 10 of {@code connection}.
     */
    public static final int MAX_ROUTED_NAME_LENGTH = MAX_HEADER_LENGTH - 76;

    /** The body proxy-packer's {@code pack()} puts on a message that has none (rule 3.2). */
    public static final byte PAD = ' ';

    private MproxyConstants() {
    }
}
