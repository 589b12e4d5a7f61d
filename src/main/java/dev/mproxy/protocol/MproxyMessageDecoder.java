package dev.mproxy.protocol;

import static dev.mproxy.protocol.MproxyConstants.DEFAULT_MAX_BODY_LENGTH;
import static dev.mproxy.protocol.MproxyConstants.MAX_FIELDS;
import static dev.mproxy.protocol.MproxyConstants.MAX_HEADER_LENGTH;
import static dev.mproxy.protocol.MproxyConstants.MIN_FIELDS;
import static dev.mproxy.protocol.MproxyConstants.PAD;
import static dev.mproxy.protocol.MproxyConstants.VERSION_1;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.internal.ObjectUtil;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Decodes a byte stream into {@link MproxyMessage}s. The stream is not aligned with transport frames (telebit
 * sends header and body as two WebSocket messages), so any split of the input gives the same messages.
 *
 * <p>Strict: the first broken rule of protocol-spec/m-proxy-v1.md §2–3 raises one
 * {@link MproxyProtocolException} naming the offset and the rule, and the decoder then stays {@code CORRUPT},
 * discarding all later input. proxy-packer resynchronises on nothing and silently desynchronises instead.
 *
 * <p>Bodies are retained slices of the input, unless short and a small part of it (then copies); the receiver
 * releases each message.
 */
public final class MproxyMessageDecoder extends ByteToMessageDecoder {

    private enum State {
        VERSION,
        HEADER_LENGTH,
        HEADER,
        BODY,
        CORRUPT
    }

    /**
     * Up to this many bytes are copied, not kept as the reads they came in: what spans reads while it is short,
     * and a short body that is less than a quarter of the read it lies in. Such a copy is cheap and comes from
     * Netty's pool (which stops at 16,896 bytes under the launcher's heap), while a slice keeps its whole read
     * alive, up to 64 KiB, and the budgets count the body.
     */
    private static final int COPY_LIMIT = 16 * 1024;

    /**
     * The tunnel's frames arrive in pieces as they were read (PayloadSlicer), and a 64 KiB body usually spans two:
     * merging them would mean a new buffer too large for the pool, and a copy; they are kept as a composite of the
     * reads instead. A short span is merged: a copy of a few KiB costs less than a composite (bench/InboundCost.java).
     */
    private static final Cumulator SMALL_MERGED = (alloc, cumulation, in) ->
            !(cumulation instanceof CompositeByteBuf)
                    && cumulation.readableBytes() + in.readableBytes() <= COPY_LIMIT
                    ? MERGE_CUMULATOR.cumulate(alloc, cumulation, in)
                    : COMPOSITE_CUMULATOR.cumulate(alloc, cumulation, in);

    /** Room for a header of a stream from an IPv4 client with a short name, the common case. */
    private static final int INITIAL_HEADER_CAPACITY = 64;

    private final int maxBodyLength;

    private State state = State.VERSION;
    /** Stream offset of the next unread byte: bytes consumed so far. */
    private long offset;
    /** Stream offset of the current message's version byte. */
    private long messageOffset;
    private int headerLength;

    /**
     * The current header, copied once so that scanning and comparing work on an array. It and {@link #previous}
     * start at {@link #INITIAL_HEADER_CAPACITY} and grow to {@code MAX_HEADER_LENGTH} at the first longer header:
     * every tunnel has a decoder, and most never see a header that long (bench/run-idle.sh: 384 B per tunnel).
     */
    private byte[] header = new byte[INITIAL_HEADER_CAPACITY];
    /** Positions of the first commas of the current header. */
    private final int[] commas = new int[MAX_FIELDS - 1];
    /** The previous header without its datalen digits: {@code previousPrefixLength} bytes, then the rest. */
    private byte[] previous = new byte[INITIAL_HEADER_CAPACITY];
    private int previousPrefixLength = -1;
    private int previousSuffixLength = -1;

    // The current message's header, set in HEADER and used in BODY.
    private MessageType type;
    private StreamAddress address;
    private String service;
    private String servicePort;
    private String name;
    private int bodyLength;

    /** A decoder that accepts bodies up to {@link MproxyConstants#DEFAULT_MAX_BODY_LENGTH}. */
    public MproxyMessageDecoder() {
        this(DEFAULT_MAX_BODY_LENGTH);
    }

    /** A decoder that refuses, before allocating anything, a body longer than {@code maxBodyLength}. */
    public MproxyMessageDecoder(int maxBodyLength) {
        this.maxBodyLength = ObjectUtil.checkPositive(maxBodyLength, "maxBodyLength");
        setCumulator(SMALL_MERGED);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        switch (state) {
            case VERSION:
                if (!in.isReadable()) {
                    return;
                }
                messageOffset = offset;
                byte version = in.getByte(in.readerIndex());
                if (version != VERSION_1) {
                    throw corrupt(in, "version byte 0x" + hex(version), "0xfe", offset, "2.1");
                }
                consume(in, 1);
                state = State.HEADER_LENGTH;
                // fall through
            case HEADER_LENGTH:
                if (!in.isReadable()) {
                    return;
                }
                headerLength = in.getUnsignedByte(in.readerIndex());
                consume(in, 1);
                state = State.HEADER;
                // fall through
            case HEADER:
                if (in.readableBytes() < headerLength) {
                    return;
                }
                parseHeader(in);
                consume(in, headerLength);
                state = State.BODY;
                // fall through
            case BODY:
                if (in.readableBytes() < bodyLength) {
                    return;
                }
                out.add(readMessage(ctx.alloc(), in));
                state = State.VERSION;
                return;
            case CORRUPT:
                in.skipBytes(in.readableBytes());
                return;
            default:
                throw new Error("Shouldn't reach here (state: " + state + ')');
        }
    }

    /** At the end of input a message must not be cut short (rule 2.7). */
    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        super.decodeLast(ctx, in, out);
        if (state != State.VERSION && state != State.CORRUPT) {
            String missing = state == State.BODY
                    ? in.readableBytes() + " of " + bodyLength + " body bytes"
                    : state == State.HEADER
                            ? in.readableBytes() + " of " + headerLength + " header bytes"
                            : "no header length byte";
            throw corrupt(in, "stream ends inside a message (" + missing + ')', "a whole message",
                    messageOffset, "2.7");
        }
    }

    private void parseHeader(ByteBuf in) {
        if (headerLength > header.length) {
            header = new byte[MAX_HEADER_LENGTH];
        }
        final byte[] h = header;
        final long headerOffset = offset;
        in.getBytes(in.readerIndex(), h, 0, headerLength);
        int end = headerLength;
        // Go telebit ends its header with ",\n" (protocol-spec §5): one trailing LF is not a field byte.
        if (end > 0 && h[end - 1] == '\n') {
            end--;
        }

        int[] commas = this.commas;
        int commaCount = 0;
        boolean ascii = true;
        for (int i = 0; i < end; i++) {
            byte b = h[i];
            if (b == ',') {
                if (commaCount < commas.length) {
                    commas[commaCount] = i;
                }
                commaCount++;
            } else if (b >= 0 && b < 0x20 || b == 0x7F) {
                if (!ascii) {
                    checkUtf8(in, i, headerOffset); // an earlier bad byte is the first offence
                }
                throw corrupt(in, "control character 0x" + hex(b) + " in header", "printable UTF-8 text",
                        headerOffset + i, "2.3");
            } else if (b < 0) {
                ascii = false;
            }
        }
        if (!ascii) {
            checkUtf8(in, end, headerOffset);
        }
        int fields = commaCount + 1;
        if (fields < MIN_FIELDS || fields > MAX_FIELDS) {
            throw corrupt(in, "header with " + fields + " field" + (fields == 1 ? "" : "s") + " \""
                    + new String(h, 0, end, StandardCharsets.UTF_8) + '"',
                    MIN_FIELDS + " to " + MAX_FIELDS + " comma-separated fields", headerOffset, "2.4");
        }

        bodyLength = parseDataLength(in, commas[2] + 1, commas[3], headerOffset);
        if (!sameAsPreviousApartFromDataLength(commas[2] + 1, commas[3], end)) {
            parseFields(fields, end, ascii);
        }
        if (type == MessageType.DATA && bodyLength == 0) {
            throw corrupt(in, "data message (service \"" + service + "\") with datalen 0",
                    "a body of 1 or more bytes", headerOffset, "3.3");
        }
    }

    /**
     * Whether this header equals the previous one but for datalen, as it does for every message of a bulk
     * stream; then the previous message's fields are reused instead of being parsed into new strings.
     * Remembers this header for the next call either way.
     */
    private boolean sameAsPreviousApartFromDataLength(int dataLengthStart, int dataLengthEnd, int end) {
        int suffixLength = end - dataLengthEnd;
        boolean same = dataLengthStart == previousPrefixLength && suffixLength == previousSuffixLength
                && Arrays.equals(header, 0, dataLengthStart, previous, 0, dataLengthStart)
                && Arrays.equals(header, dataLengthEnd, end, previous, dataLengthStart,
                        dataLengthStart + suffixLength);
        if (!same) {
            if (dataLengthStart + suffixLength > previous.length) {
                previous = new byte[MAX_HEADER_LENGTH];
            }
            System.arraycopy(header, 0, previous, 0, dataLengthStart);
            System.arraycopy(header, dataLengthEnd, previous, dataLengthStart, suffixLength);
            previousPrefixLength = dataLengthStart;
            previousSuffixLength = suffixLength;
        }
        return same;
    }

    private void parseFields(int fields, int end, boolean ascii) {
        int[] c = commas;
        String serviceField = field(c[3] + 1, fields > 5 ? c[4] : end, ascii);
        type = MessageType.ofField(serviceField);
        if (type == MessageType.CONTROL) {
            // rule 3.8: a control message belongs to no stream; what its other fields say is ignored, so it
            // decodes exactly as it would have been sent
            address = StreamAddress.NONE;
            servicePort = "";
            name = "";
            service = "";
            return;
        }
        address = new StreamAddress(field(0, c[0], ascii), field(c[0] + 1, c[1], ascii),
                field(c[1] + 1, c[2], ascii));
        servicePort = fields > 5 ? field(c[4] + 1, fields > 6 ? c[5] : end, ascii) : "";
        name = fields > 6 ? field(c[5] + 1, fields > 7 ? c[6] : end, ascii) : "";
        if (type == MessageType.DATA) {
            service = serviceField;
        } else if (type == MessageType.CONNECTION && fields > 7) {
            service = field(c[6] + 1, end, ascii); // rule 3.4: the real service is the 8th field
        } else {
            service = "";
        }
    }

    /** The 4th field: one or more ASCII digits (rule 2.5), at most {@link #maxBodyLength} (rule 2.6). */
    private int parseDataLength(ByteBuf in, int from, int to, long headerOffset) {
        byte[] h = header;
        long value = 0;
        for (int i = from; i < to; i++) {
            byte b = h[i];
            if (b < '0' || b > '9') {
                value = -1;
                break;
            }
            if (value <= maxBodyLength) { // stop growing once over the limit: no overflow on long input
                value = value * 10 + (b - '0');
            }
        }
        if (from == to || value < 0) {
            throw corrupt(in, "datalen \"" + new String(h, from, to - from, StandardCharsets.UTF_8) + '"',
                    "1 or more ASCII digits", headerOffset + from, "2.5");
        }
        if (value > maxBodyLength) {
            throw corrupt(in, "datalen " + new String(h, from, to - from, StandardCharsets.US_ASCII)
                    + " over the maximum body length", "at most " + maxBodyLength, headerOffset + from, "2.6");
        }
        return (int) value;
    }

    private MproxyMessage readMessage(ByteBufAllocator alloc, ByteBuf in) {
        ByteBuf body;
        if (bodyLength == 0) {
            body = Unpooled.EMPTY_BUFFER;
        } else if (bodyLength == 1 && type != MessageType.DATA && in.getByte(in.readerIndex()) == PAD) {
            body = Unpooled.EMPTY_BUFFER; // rule 3.2: pack()'s pad on an empty message is not data
            in.skipBytes(1);
        } else if (bodyLength <= COPY_LIMIT && bodyLength < heldCapacity(in) / 4) {
            // a slice would keep more than four times itself alive, and the budgets count the body
            body = alloc.buffer(bodyLength).writeBytes(in, bodyLength);
        } else {
            body = in.readRetainedSlice(bodyLength);
        }
        offset += bodyLength;
        return MproxyMessage.decoded(type, address, service, servicePort, name, body);
    }

    /** The capacity a slice of {@code in} keeps alive: that of the buffer it was cut from. */
    private static int heldCapacity(ByteBuf in) {
        ByteBuf root = in;
        for (ByteBuf parent = root.unwrap(); parent != null; parent = parent.unwrap()) {
            root = parent;
        }
        return root.capacity();
    }

    private void consume(ByteBuf in, int length) {
        in.skipBytes(length);
        offset += length;
    }

    private MproxyProtocolException corrupt(ByteBuf in, String found, String expected, long at, String rule) {
        state = State.CORRUPT;
        // Drop what is left so ByteToMessageDecoder does not call us again with the same bytes.
        in.skipBytes(in.readableBytes());
        return new MproxyProtocolException(found, expected, at, rule);
    }

    private void checkUtf8(ByteBuf in, int end, long headerOffset) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer bytes = ByteBuffer.wrap(header, 0, end);
        CoderResult result = decoder.decode(bytes, CharBuffer.allocate(end), true);
        if (result.isError()) {
            int at = bytes.position();
            throw corrupt(in, "byte 0x" + hex(header[at]) + " that is not UTF-8 in header",
                    "printable UTF-8 text", headerOffset + at, "2.3");
        }
    }

    private String field(int from, int to, boolean ascii) {
        return from == to ? "" : new String(header, from, to - from,
                ascii ? StandardCharsets.US_ASCII : StandardCharsets.UTF_8);
    }

    private static String hex(byte b) {
        return String.format("%02x", b & 0xFF);
    }
}
