/**
 * The rendezvous relay: two WebSockets that name the same id are paired on the gateway and every message of one
 * goes to the other ({@link dev.mproxy.rendezvous.Rendezvous}), and the client that joins an id and bridges it
 * to a local port, a local service or stdin/stdout ({@link dev.mproxy.rendezvous.RendezvousClient}). Both sides
 * relay through {@link dev.mproxy.relay.Relay}: a WebSocket is a {@code WebSocketEnd} (its input and output
 * each with its own state, a close frame ending one direction), standard input and output a {@code StdioEnd},
 * a local socket a {@link dev.mproxy.relay.ChannelEnd}. WebSocket framing comes from
 * {@link dev.mproxy.websocket}; the names {@code Rendezvous*} keep this pairing apart from the byte relay.
 *
 * @see <a href="../../../../../../protocol-spec/rendezvous.md">protocol-spec/rendezvous.md</a>
 */
package dev.mproxy.rendezvous;
