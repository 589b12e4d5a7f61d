package dev.mproxy.protocol;

import static dev.mproxy.protocol.MproxyConstants.MAX_HEADER_LENGTH;
import static dev.mproxy.protocol.MproxyConstants.PAD;
import static dev.mproxy.protocol.MproxyConstants.VERSION_1;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.util.List;

/**
 * Encodes {@link MproxyMessage}s into exactly the bytes proxy-packer writes for the same message.
 *
 * <p>{@link #INSTANCE} writes the {@code packHeader} form that telebit's relay and device send: an empty
 * body is datalen {@code 0} with no body. {@link #PADDED} writes the {@code pack()} form, where an empty body
 * becomes one space with datalen {@code 1} (rule 3.2); it exists for the {@code pack} command and old peers.
 * Unlike proxy-packer, a header over 255 bytes is refused instead of wrapping its length byte (rule 2.2).
 */
@Sharable
public final class MproxyMessageEncoder extends MessageToMessageEncoder<MproxyMessage> {

    /** The {@code packHeader} form: empty bodies are sent as datalen 0. */
    public static final MproxyMessageEncoder INSTANCE = new MproxyMessageEncoder(false);

    /** The {@code pack()} form: empty bodies are sent as a single space. */
    public static final MproxyMessageEncoder PADDED = new MproxyMessageEncoder(true);

    /** Bodies up to this size are copied behind the header; larger ones are appended without a copy. */
    private static final int COPY_THRESHOLD = 512;

    private final boolean padEmptyBody;

    private MproxyMessageEncoder(boolean padEmptyBody) {
        super(MproxyMessage.class);
        this.padEmptyBody = padEmptyBody;
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, MproxyMessage msg, List<Object> out) {
        out.add(encode(ctx.alloc(), msg));
    }

    /**
     * Returns the message's bytes. The message keeps its own reference; the result holds another on large
     * bodies.
     *
     * @throws IllegalArgumentException if the header would exceed 255 bytes (rule 2.2)
     */
    public ByteBuf encode(ByteBufAllocator alloc, MproxyMessage msg) {
        ByteBuf body = msg.content();
        int bodyLength = body.readableBytes();
        boolean pad = padEmptyBody && bodyLength == 0;
        String header = header(msg, pad ? 1 : bodyLength);
        int headerLength = ByteBufUtil.utf8Bytes(header);
        if (headerLength > MAX_HEADER_LENGTH) {
            throw new IllegalArgumentException("header length (" + headerLength + ") exceeds the allowed maximum ("
                    + MAX_HEADER_LENGTH + "): " + header);
        }
        boolean copy = bodyLength <= COPY_THRESHOLD;
        ByteBuf buf = alloc.buffer(2 + headerLength + (pad ? 1 : copy ? bodyLength : 0));
        buf.writeByte(VERSION_1).writeByte(headerLength);
        ByteBufUtil.reserveAndWriteUtf8(buf, header, headerLength);
        if (pad) {
            buf.writeByte(PAD);
        } else if (copy) {
            buf.writeBytes(body, body.readerIndex(), bodyLength);
        } else {
            return alloc.compositeBuffer(2).addComponents(true, buf, body.retainedSlice());
        }
        return buf;
    }

    /** The header text in the reference's field order for the message's kind (protocol-spec §3). */
    static String header(MproxyMessage msg, int dataLength) {
        if (msg.type() == MessageType.CONTROL) {
            return ",,," + dataLength + ",control";
        }
        StreamAddress a = msg.address();
        StringBuilder sb = new StringBuilder(64)
                .append(a.family()).append(',').append(a.address()).append(',').append(a.port()).append(',')
                .append(dataLength).append(',').append(msg.serviceField()).append(',')
                .append(msg.servicePort()).append(',').append(msg.name());
        if (msg.type() == MessageType.CONNECTION) {
            sb.append(',').append(msg.service());
        }
        return sb.toString();
    }
}
