package dev.mproxy.websocket;

import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;

/**
 * Written down a pipeline to end a WebSocket for a reason the peer should read (the tunnel, when it closes a
 * broken or silent tunnel; the gateway, when it ends a device's session): {@link WebSocketFrameCodec} turns it
 * into a close frame.
 */
public record WebSocketClose(WebSocketCloseStatus status, String reason) {
}
