package dev.mproxy.websocket;

import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;

/**
 * Written by {@link TunnelHandler} when it ends a tunnel for a reason the peer should read: on a WebSocket,
 * {@link WebSocketFrameCodec} turns it into a close frame.
 */
public record WebSocketClose(WebSocketCloseStatus status, String reason) {
}
