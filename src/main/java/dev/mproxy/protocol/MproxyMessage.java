package dev.mproxy.protocol;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;

/**
 * One M-PROXY v1 message: its kind, the stream it belongs to, the stream's service, service port and name,
 * and its body. Immutable apart from the body's reference count; the body is released with the message.
 *
 * <p>Header fields are kept as strings exactly as on the wire, so a decoded message prints back what the
 * peer sent. {@link #service()} is the application service ({@code https}, {@code tcp}, ...): the 5th field
 * of a data message, the 8th of a {@code connection}, and empty for the other kinds, whose 5th field is
 * their reserved word (rule 3.1).
 */
public final class MproxyMessage extends DefaultByteBufHolder {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final MessageType type;
    private final StreamAddress address;
    private final String service;
    private final String servicePort;
    private final String name;

    /**
     * @throws IllegalArgumentException if a field cannot be a header field, if a data message has an empty
     *                                  body (rule 3.3), or if a data message's service is a reserved word
     */
    public MproxyMessage(MessageType type, StreamAddress address, String service, String servicePort,
                         String name, ByteBuf content) {
        this(type, address, service, servicePort, name, content, true);
    }

    private MproxyMessage(MessageType type, StreamAddress address, String service, String servicePort,
                          String name, ByteBuf content, boolean check) {
        super(requireNonNull(content, "content"));
        this.type = type;
        this.address = address;
        this.service = service;
        this.servicePort = servicePort;
        this.name = name;
        if (check) {
            check();
        }
    }

    /** A message from {@link MproxyMessageDecoder}, whose fields already passed rules 2.3 to 3.3. */
    static MproxyMessage decoded(MessageType type, StreamAddress address, String service, String servicePort,
                                 String name, ByteBuf content) {
        return new MproxyMessage(type, address, service, servicePort, name, content, false);
    }

    private void check() {
        requireNonNull(type, "type");
        requireNonNull(address, "address");
        HeaderFields.check(requireNonNull(service, "service"), "service");
        HeaderFields.check(requireNonNull(servicePort, "servicePort"), "servicePort");
        HeaderFields.check(requireNonNull(name, "name"), "name");
        ByteBuf content = content();
        if (type == MessageType.DATA) {
            if (!content.isReadable()) {
                throw new IllegalArgumentException("data message with an empty body (expected: 1 or more "
                        + "bytes; rule 3.3)");
            }
            if (MessageType.ofField(service) != MessageType.DATA) {
                throw new IllegalArgumentException("data message with reserved service \"" + service
                        + "\" (expected: an application service such as https or tcp)");
            }
        } else if (type != MessageType.CONNECTION && !service.isEmpty()) {
            throw new IllegalArgumentException(type.displayName() + " message with service \"" + service
                    + "\" (expected: \"\", the 5th field is the reserved word \"" + type.word() + "\")");
        }
    }

    /** A new client stream for {@code service} ({@code https}, {@code http}, {@code tcp}, ...). */
    public static MproxyMessage connection(StreamAddress address, String service, String servicePort,
                                           String name) {
        return new MproxyMessage(MessageType.CONNECTION, address, service, servicePort, name,
                Unpooled.EMPTY_BUFFER);
    }

    /** Bytes of a stream; {@code content} must be readable and is owned by the message. */
    public static MproxyMessage data(StreamAddress address, String service, String servicePort, String name,
                                     ByteBuf content) {
        return new MproxyMessage(MessageType.DATA, address, service, servicePort, name, content);
    }

    /** The end of one direction of a stream. */
    public static MproxyMessage end(StreamAddress address, String servicePort, String name) {
        return new MproxyMessage(MessageType.END, address, "", servicePort, name, Unpooled.EMPTY_BUFFER);
    }

    /** A failed stream, with the body {@code {"message":...,"code":...}} (rule 3.6). */
    public static MproxyMessage error(StreamAddress address, String servicePort, String name, String message,
                                      String code) {
        ObjectNode body = JSON.createObjectNode();
        body.put("message", requireNonNull(message, "message"));
        body.put("code", requireNonNull(code, "code"));
        return new MproxyMessage(MessageType.ERROR, address, "", servicePort, name, json(body));
    }

    /** Asks the peer to stop sending this stream; the body counts bytes received so far (rule 3.7). */
    public static MproxyMessage pause(StreamAddress address, String servicePort, String name, long received) {
        return new MproxyMessage(MessageType.PAUSE, address, "", servicePort, name, number(received));
    }

    /** Lets the peer send this stream again; the body counts bytes received so far (rule 3.7). */
    public static MproxyMessage resume(StreamAddress address, String servicePort, String name, long received) {
        return new MproxyMessage(MessageType.RESUME, address, "", servicePort, name, number(received));
    }

    /** A control message whose body is a JSON array such as {@code [1,"hello",[1],[...]]} (rule 3.8). */
    public static MproxyMessage control(ByteBuf jsonArray) {
        return new MproxyMessage(MessageType.CONTROL, StreamAddress.NONE, "", "", "", jsonArray);
    }

    private static ByteBuf number(long received) {
        if (received < 0) {
            throw new IllegalArgumentException("received: " + received + " (expected: >= 0)");
        }
        return Unpooled.copiedBuffer(Long.toString(received), StandardCharsets.US_ASCII);
    }

    private static ByteBuf json(Object value) {
        try {
            return Unpooled.wrappedBuffer(JSON.writeValueAsBytes(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + value, e);
        }
    }

    public MessageType type() {
        return type;
    }

    public StreamAddress address() {
        return address;
    }

    /** The application service; empty for kinds other than data and {@code connection}. */
    public String service() {
        return service;
    }

    /** The header's 5th field as on the wire: the service of a data message, else the kind's reserved word. */
    public String serviceField() {
        return type == MessageType.DATA ? service : type.word();
    }

    /** The public port the client connected to, such as {@code 443}; empty when absent. */
    public String servicePort() {
        return servicePort;
    }

    /** The TLS SNI or HTTP Host the client asked for; empty when absent. */
    public String name() {
        return name;
    }

    @Override
    public MproxyMessage replace(ByteBuf content) {
        return new MproxyMessage(type, address, service, servicePort, name, content);
    }

    @Override
    public MproxyMessage copy() {
        return (MproxyMessage) super.copy();
    }

    @Override
    public MproxyMessage duplicate() {
        return (MproxyMessage) super.duplicate();
    }

    @Override
    public MproxyMessage retainedDuplicate() {
        return (MproxyMessage) super.retainedDuplicate();
    }

    @Override
    public MproxyMessage retain() {
        super.retain();
        return this;
    }

    @Override
    public MproxyMessage retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public MproxyMessage touch() {
        super.touch();
        return this;
    }

    @Override
    public MproxyMessage touch(Object hint) {
        super.touch(hint);
        return this;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof MproxyMessage) || !super.equals(o)) {
            return false;
        }
        MproxyMessage that = (MproxyMessage) o;
        return type == that.type && address.equals(that.address) && service.equals(that.service)
                && servicePort.equals(that.servicePort) && name.equals(that.name);
    }

    @Override
    public int hashCode() {
        return ((type.hashCode() * 31 + address.hashCode()) * 31 + name.hashCode()) * 31 + super.hashCode();
    }

    @Override
    public String toString() {
        return "MproxyMessage(" + type.displayName() + ' ' + address + ' ' + service + ':' + servicePort + ' '
                + name + ", " + content().readableBytes() + "B)";
    }
}
