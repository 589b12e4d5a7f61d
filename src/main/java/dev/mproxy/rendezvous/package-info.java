/**
 * The rendezvous relay: two WebSockets that name the same id are paired on the gateway and every message of one
 * goes to the other ({@link dev.mproxy.rendezvous.Rendezvous}), and the client that joins an id and bridges it
 * to a local port, a local service or stdin/stdout ({@link dev.mproxy.rendezvous.RendezvousClient}). Both sides
 * relay through {@link dev.mproxy.relay.Relay}, a WebSocket being one {@link dev.mproxy.rendezvous.WebSocketEnd}.
 *
 * @see <a href="../../../../../../protocol-spec/rendezvous.md">protocol-spec/rendezvous.md</a>
 */
package dev.mproxy.rendezvous;
