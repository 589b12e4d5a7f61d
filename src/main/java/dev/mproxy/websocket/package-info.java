/**
 * WebSocket framing shared by every WebSocket the product speaks: the tunnel's binary frames (masked fast on
 * the dialling side), close frames with a reason cut to fit, and pings answered without defeating flow
 * control. A leaf: it knows WebSocket and Netty, nothing of tunnels, streams or rendezvous pairs.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc6455">RFC 6455</a>
 */
package dev.mproxy.websocket;
