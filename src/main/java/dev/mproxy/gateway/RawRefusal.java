package dev.mproxy.gateway;

import dev.mproxy.tunnel.ControlMessages;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOutboundInvoker;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A refusal as an HTTP/1.1 response with a {@code {"code","message"}} JSON body, written as bytes where no HTTP
 * codec is in the pipeline, after which the connection closes.
 */
final class RawRefusal {

    private RawRefusal() {
    }

    /** Writes the refusal through {@code out} (a handler's context, to pass below it, or the channel) and closes. */
    static void send(ChannelOutboundInvoker out, HttpResponseStatus status, String code, String message) {
        byte[] body = ControlMessages.toJson(Map.of("code", code, "message", message));
        String head = "HTTP/1.1 " + status + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                + "\r\nConnection: close\r\n\r\n";
        out.writeAndFlush(Unpooled.wrappedBuffer(head.getBytes(StandardCharsets.US_ASCII), body))
                .addListener(ChannelFutureListener.CLOSE);
    }
}
