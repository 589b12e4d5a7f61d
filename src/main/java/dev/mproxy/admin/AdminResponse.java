package dev.mproxy.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;

/** One answer of the admin listener: status, media type and body. */
record AdminResponse(int status, String contentType, byte[] body) {

    static final String JSON_TYPE = "application/json; charset=utf-8";

    static AdminResponse json(int status, JsonNode json) {
        try {
            return new AdminResponse(status, JSON_TYPE, AdminApi.JSON.writerWithDefaultPrettyPrinter()
                    .writeValueAsBytes(json));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree did not serialize", e); // cannot happen for a tree
        }
    }

    /** {@code {"code": ..., "message": ...}}, the shape of the gateway's other HTTP errors. */
    static AdminResponse error(int status, String code, String message) {
        return json(status, AdminApi.JSON.createObjectNode().put("code", code).put("message", message));
    }

    static AdminResponse text(int status, String text) {
        return new AdminResponse(status, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8));
    }
}
