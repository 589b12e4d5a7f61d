package dev.mproxy.record;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Set;

/** MeshCentral's {@code .mcrec} blocks (protocol-spec/recording.md §3): constants and the block header. */
final class Mcrec {

    /** type u16, flags u16, size u32 (signed), time 8 bytes, all big-endian (rule 3.1). */
    static final int HEADER_SIZE = 16;

    static final int TYPE_METADATA = 1;
    static final int TYPE_DATA = 2;
    static final int TYPE_END = 3;
    static final int TYPE_EXTRA = 4;

    /** The payload is a binary WebSocket frame, not a string. */
    static final int FLAG_BINARY = 1;
    /** The payload came from a user's side: a {@code browser=1} peer, our client at a tunnel (rule 3.3). */
    static final int FLAG_USER = 2;
    /**
     * Ours: the payload came from the client, in files whose metadata has {@value #USER_FLAG}, where 0x2 does not
     * tell the two directions apart (rule 3.3).
     */
    static final int FLAG_CLIENT = 4;

    /**
     * The metadata field saying which sides 0x2 marks when it is not the client alone: {@code server}, {@code both}
     * or {@code none} (rule 3.2); its files mark the client's blocks with {@link #FLAG_CLIENT}.
     */
    static final String USER_FLAG = "userFlag";

    static final String METADATA_MAGIC = "MeshCentralRelaySession";
    static final String END_MAGIC = "MeshCentralMCREC";
    /** The end magic of a file MeshCentral's {@code mcrec.js} has indexed (rule 4.7). */
    static final String INDEXED_END_MAGIC = "MeshCentralMCNDX";
    static final int END_SIZE = 16;

    /** The largest size field: it is signed (rule 3.1). */
    static final int MAX_SIZE = Integer.MAX_VALUE;

    /**
     * The most data one block carries when we write: the largest array the JVM allocates
     * ({@code Integer.MAX_VALUE - 8}, as the JDK's own growth limit) less the header, so a reader can hold any
     * block we write in one array (rule 3.3).
     */
    static final int MAX_WRITTEN_DATA = Integer.MAX_VALUE - 8 - HEADER_SIZE;

    /** A larger metadata block is refused rather than read whole (rule 4.2). */
    static final int MAX_METADATA_SIZE = 1 << 20;

    /** Type-4 blocks up to this size are parsed for an event; larger ones (indexes) are skipped (rule 4.7). */
    static final int MAX_EVENT_BLOCK_SIZE = 4096;

    /** The metadata fields we write ourselves; labels cannot use them (rule 3.2). */
    static final Set<String> RESERVED = Set.of("magic", "ver", "sessionid", "userid", "ipaddr1", "port1", "ipaddr2",
            "port2", "time", "protocol", USER_FLAG);

    /** The words of event blocks (rule 3.4): netrecord's. */
    static final String OPENED = "con";
    static final String ENDED = "hup";
    static final String FAILED = "err";

    /**
     * Kept here rather than reusing {@code ControlMessages.JSON}: this package is a leaf and must not depend on
     * the tunnel (and through it on Netty). A default {@code ObjectMapper} is thread-safe once configured.
     */
    static final ObjectMapper JSON = new ObjectMapper();

    private Mcrec() {
    }

    /** Puts a block header at {@code out}'s position (rule 3.1). */
    static void putHeader(ByteBuffer out, int type, int flags, int size, long timeMillis) {
        out.putShort((short) type).putShort((short) flags).putInt(size).putLong(timeMillis);
    }

    /** The 32-byte end block (rule 3.5). */
    static byte[] endBlock(long timeMillis) {
        ByteBuffer block = ByteBuffer.allocate(HEADER_SIZE + END_SIZE);
        putHeader(block, TYPE_END, 0, END_SIZE, timeMillis);
        return block.put(END_MAGIC.getBytes(StandardCharsets.US_ASCII)).array();
    }

    static String side(Direction side) {
        return side == Direction.FROM_CLIENT ? "client" : "server";
    }

    /** {@value #USER_FLAG}'s value for the sides 0x2 marks, or null for the client alone, which needs none. */
    static String userFlag(Set<Direction> userSides) {
        if (userSides.size() == 2) {
            return "both";
        }
        if (userSides.isEmpty()) {
            return "none";
        }
        return userSides.contains(Direction.FROM_CLIENT) ? null : "server";
    }

    /** The sides a {@value #USER_FLAG} value says 0x2 marks, or null for a value that is none of ours. */
    static Set<Direction> userSides(String userFlag) {
        switch (userFlag) {
            case "client":
                return EnumSet.of(Direction.FROM_CLIENT);
            case "server":
                return EnumSet.of(Direction.FROM_SERVER);
            case "both":
                return EnumSet.allOf(Direction.class);
            case "none":
                return EnumSet.noneOf(Direction.class);
            default:
                return null;
        }
    }
}
