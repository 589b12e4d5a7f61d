/**
 * WebSocket framing shared by every WebSocket the product speaks, the tunnel's and the rendezvous relay's:
 * binary frames to and from bytes (masked fast on the dialling side, read in slices as they arrive on a tunnel,
 * cut into fragments on the rendezvous relay, both in front of Netty's frame decoder), a close that says why
 * ({@link dev.mproxy.websocket.WebSocketClose}, with a reason cut to what a close frame holds), and pings
 * answered without defeating flow control. A leaf: it knows WebSocket and Netty, nothing of tunnels, streams or
 * rendezvous pairs.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc6455">RFC 6455</a>
 */
package dev.mproxy.websocket;
