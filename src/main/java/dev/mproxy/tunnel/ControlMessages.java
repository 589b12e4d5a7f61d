package dev.mproxy.tunnel;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mproxy.protocol.MproxyMessage;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;
import java.io.IOException;

/**
 * The control channel's JSON arrays as telebit speaks them (protocol-spec/control.md): {@code [id, name,
 * ...args]} requests with {@code id > 0}, replies {@code [-id, null]} or {@code [-id, {"message","code"}]},
 * and errors tied to no request {@code [0, {"message","code"}]}.
 */
public final class ControlMessages {

    public static final ObjectMapper JSON = new ObjectMapper();

    private ControlMessages() {
    }

    /** A request {@code [id, name, ...args]}. */
    public static MproxyMessage command(long id, String name, Object... args) {
        ArrayNode array = JSON.createArrayNode().add(id).add(name);
        for (Object arg : args) {
            array.add(JSON.valueToTree(arg));
        }
        return control(array);
    }

    /** The success reply to request {@code id}: {@code [-id, null]}. */
    public static MproxyMessage ok(long id) {
        return control(JSON.createArrayNode().add(-id).addNull());
    }

    /** The failure reply to request {@code id}, or with id 0 an error tied to no request. */
    public static MproxyMessage error(long id, String code, String message) {
        ObjectNode error = JSON.createObjectNode().put("message", message).put("code", code);
        return control(JSON.createArrayNode().add(-id).add(error));
    }

    /**
     * A port or name of a token that is not granted, as an error tied to no request that names it:
     * {@code [0, {"message", "code", "port"|"domain"}]} (control 2.4). Sent before the {@code grant}.
     */
    public static MproxyMessage refusal(Grant.Refusal refusal) {
        ObjectNode error = JSON.createObjectNode().put("message", refusal.message()).put("code", refusal.code());
        if (refusal.port() != null) {
            error.put("port", refusal.port());
        } else {
            error.put("domain", refusal.domain());
        }
        return control(JSON.createArrayNode().add(0).add(error));
    }

    /**
     * The body of a control message as a JSON array whose first element is a number, or null when it is not
     * one (telebit's relay answers such a body with {@code E_BAD_COMMAND}).
     */
    public static ArrayNode parse(MproxyMessage message) {
        try (ByteBufInputStream in = new ByteBufInputStream(message.content().duplicate())) {
            JsonNode node = JSON.readTree((java.io.InputStream) in);
            return node != null && node.isArray() && node.size() > 0 && node.get(0).isNumber()
                    ? (ArrayNode) node : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static MproxyMessage control(ArrayNode array) {
        try {
            return MproxyMessage.control(Unpooled.wrappedBuffer(JSON.writeValueAsBytes(array)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + array, e);
        }
    }
}
