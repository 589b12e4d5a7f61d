package dev.mproxy.protocol;

import static dev.mproxy.protocol.MproxyConstants.DEFAULT_MAX_BODY_LENGTH;
import static dev.mproxy.protocol.MproxyConstants.MAX_FIELDS;
import static dev.mproxy.protocol.MproxyConstants.MIN_FIELDS;
import static dev.mproxy.protocol.MproxyConstants.PAD;
import static dev.mproxy.protocol.MproxyConstants.VERSION_1;

import io.netty.buffer.ByteBuf;
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
import java.util.List;

/**
 * Decodes a byte stream into {@link MproxyMessage}s. The stream is not aligned with transport frames (telebit
 * sends header and body as two WebSocket messages), so any split of the input gives the same messages.
 *
 * <p>Strict: the first broken rule of protocol-spec/m-proxy-v1.md §2–3 raises one
 * {@link MproxyProtocolException} naming the offset and the rule, and the decoder then stays {@code CORRUPT},
 * discarding all later input. proxy-packer resynchronises on nothing and silently desynchronises instead.
 *
 * <p>Bodies are retained slices of the input, not copies; the receiver releases each message.
 */
public final class MproxyMessageDecoder extends ByteToMessageDecoder {

    private enum State {
        VERSION,
        HEADER_LENGTH,
        HEADER,
        BODY,
        CORRUPT
    }

    private final int maxBodyLength;

    private State state = State.VERSION;
    /** Stream offset of the next unread byte: bytes consumed so far. */
    private long offset;
    /** Stream offset of the current message's version byte. */
    private long messageOffset;
    private int headerLength;

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
                out.add(readMessage(in));
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
        final int start = in.readerIndex();
        final long headerOffset = offset;
        int end = start + headerLength;
        // Go telebit ends its header with ",\n" (protocol-spec §5): one trailing LF is not a field byte.
        if (headerLength > 0 && in.getByte(end - 1) == '\n') {
            end--;
        }

        int[] commas = new int[MAX_FIELDS - 1];
        int commaCount = 0;
        boolean ascii = true;
        for (int i = start; i < end; i++) {
            byte b = in.getByte(i);
            if (b == ',') {
                if (commaCount < commas.length) {
                    commas[commaCount] = i;
                }
                commaCount++;
            } else if (b >= 0 && b < 0x20 || b == 0x7F) {
                throw corrupt(in, "control character 0x" + hex(b) + " in header",
                        "printable UTF-8 text", headerOffset + i - start, "2.3");
            } else if (b < 0) {
                ascii = false;
            }
        }
        if (!ascii) {
            checkUtf8(in, start, end, headerOffset);
        }
        int fields = commaCount + 1;
        if (fields < MIN_FIELDS || fields > MAX_FIELDS) {
            throw corrupt(in, "header with " + fields + " field" + (fields == 1 ? "" : "s") + " \""
                    + in.toString(start, end - start, StandardCharsets.UTF_8) + '"',
                    MIN_FIELDS + " to " + MAX_FIELDS + " comma-separated fields", headerOffset, "2.4");
        }

        bodyLength = parseDataLength(in, commas[2] + 1, commas[3], headerOffset + commas[2] + 1 - start);
        String serviceField = field(in, commas[3] + 1, fields > 5 ? commas[4] : end, ascii);
        type = MessageType.ofField(serviceField);
        if (type == MessageType.DATA && bodyLength == 0) {
            throw corrupt(in, "data message (service \"" + serviceField + "\") with datalen 0",
                    "a body of 1 or more bytes", headerOffset, "3.3");
        }
        address = new StreamAddress(field(in, start, commas[0], ascii), field(in, commas[0] + 1, commas[1], ascii),
                field(in, commas[1] + 1, commas[2], ascii));
        servicePort = fields > 5 ? field(in, commas[4] + 1, fields > 6 ? commas[5] : end, ascii) : "";
        name = fields > 6 ? field(in, commas[5] + 1, fields > 7 ? commas[6] : end, ascii) : "";
        if (type == MessageType.DATA) {
            service = serviceField;
        } else if (type == MessageType.CONNECTION && fields > 7) {
            service = field(in, commas[6] + 1, end, ascii); // rule 3.4: the real service is the 8th field
        } else {
            service = "";
        }
    }

    /** The 4th field: one or more ASCII digits (rule 2.5), at most {@link #maxBodyLength} (rule 2.6). */
    private int parseDataLength(ByteBuf in, int from, int to, long fieldOffset) {
        long value = 0;
        for (int i = from; i < to; i++) {
            byte b = in.getByte(i);
            if (b < '0' || b > '9') {
                value = -1;
                break;
            }
            if (value <= maxBodyLength) { // stop growing once over the limit: no overflow on long input
                value = value * 10 + (b - '0');
            }
        }
        if (from == to || value < 0) {
            throw corrupt(in, "datalen \"" + in.toString(from, to - from, StandardCharsets.UTF_8) + '"',
                    "1 or more ASCII digits", fieldOffset, "2.5");
        }
        if (value > maxBodyLength) {
            throw corrupt(in, "datalen " + in.toString(from, to - from, StandardCharsets.US_ASCII)
                    + " over the maximum body length", "at most " + maxBodyLength, fieldOffset, "2.6");
        }
        return (int) value;
    }

    private MproxyMessage readMessage(ByteBuf in) {
        ByteBuf body;
        if (bodyLength == 0) {
            body = Unpooled.EMPTY_BUFFER;
        } else if (bodyLength == 1 && type != MessageType.DATA && in.getByte(in.readerIndex()) == PAD) {
            body = Unpooled.EMPTY_BUFFER; // rule 3.2: pack()'s pad on an empty message is not data
            in.skipBytes(1);
        } else {
            body = in.readRetainedSlice(bodyLength);
        }
        offset += bodyLength;
        return new MproxyMessage(type, address, service, servicePort, name, body);
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

    private void checkUtf8(ByteBuf in, int start, int end, long headerOffset) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer bytes = in.nioBuffer(start, end - start);
        CoderResult result = decoder.decode(bytes, CharBuffer.allocate(end - start), true);
        if (result.isError()) {
            int at = bytes.position();
            throw corrupt(in, "byte 0x" + hex(in.getByte(start + at)) + " that is not UTF-8 in header",
                    "printable UTF-8 text", headerOffset + at, "2.3");
        }
    }

    private static String field(ByteBuf in, int from, int to, boolean ascii) {
        return from == to ? "" : in.toString(from, to - from,
                ascii ? StandardCharsets.US_ASCII : StandardCharsets.UTF_8);
    }

    private static String hex(byte b) {
        return String.format("%02x", b & 0xFF);
    }
}
