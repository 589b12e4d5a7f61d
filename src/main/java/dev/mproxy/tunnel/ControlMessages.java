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

    /** Thread-safe once configured, and never configured: private, so no caller can change how all others read. */
    private static final ObjectMapper JSON = new ObjectMapper();

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
        return control(JSON.createArrayNode().add(-id).add(errorObject(code, message)));
    }

    /**
     * {@code {"message": ..., "code": ...}} as bytes: the error a control reply carries, and the body with which
     * the gateway refuses a WebSocket upgrade (rendezvous 1.2-1.4).
     */
    public static byte[] errorBody(String code, String message) {
        return bytes(errorObject(code, message));
    }

    /** The {@code code} of an {@link #errorBody} text, or null when {@code body} is not such JSON. */
    public static String errorCode(String body) {
        try {
            JsonNode json = JSON.readTree(body);
            return json != null && json.path("code").isTextual() ? json.path("code").textValue() : null;
        } catch (JsonProcessingException notJson) {
            return null;
        }
    }

    /** The {@code message} of an {@link #errorBody} text, or null when {@code body} is not such JSON. */
    public static String errorMessage(String body) {
        try {
            JsonNode json = JSON.readTree(body);
            return json != null && json.path("message").isTextual() ? json.path("message").textValue() : null;
        } catch (JsonProcessingException notJson) {
            return null;
        }
    }

    /** An empty JSON object, for an argument of {@link #command}. */
    public static ObjectNode newObject() {
        return JSON.createObjectNode();
    }

    /** {@code value} as a JSON tree (lists, maps, strings, numbers), for an argument of {@link #command}. */
    public static JsonNode toTree(Object value) {
        return JSON.valueToTree(value);
    }

    /** {@code value} (maps, lists, strings, numbers) as JSON bytes: a document served over HTTP. */
    public static byte[] toJson(Object value) {
        return bytes(toTree(value));
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

    private static ObjectNode errorObject(String code, String message) {
        return JSON.createObjectNode().put("message", message).put("code", code);
    }

    private static MproxyMessage control(ArrayNode array) {
        return MproxyMessage.control(Unpooled.wrappedBuffer(bytes(array)));
    }

    private static byte[] bytes(JsonNode json) {
        try {
            return JSON.writeValueAsBytes(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + json, e);
        }
    }
}
