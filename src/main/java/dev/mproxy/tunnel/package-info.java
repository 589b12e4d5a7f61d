/**
 * One tunnel carrying many logical streams: the stream table ({@link dev.mproxy.tunnel.TunnelHandler}), each
 * stream's state as explicit machines owned by the stream (its lifecycle in the table, and each direction open,
 * paused or ended; protocol-spec/streams.md §3 draws them), per-stream {@code pause}/{@code resume} mapped onto
 * socket writability and {@code autoRead}, whole-tunnel backpressure, the control channel and the keepalive.
 * Each stream is joined to its socket by a {@link dev.mproxy.relay.Relay} on the tunnel's event loop.
 *
 * <p>The tunnel is a WebSocket: {@link dev.mproxy.tunnel.TunnelPipeline} puts the M-PROXY messages in binary
 * frames ({@link dev.mproxy.websocket}), closes a broken tunnel with a close frame that says why, and keeps it
 * alive with WebSocket pings. The stream table itself reads and writes
 * {@link dev.mproxy.protocol.MproxyMessage}s and also runs on a bare M-PROXY byte stream, as the tests drive it.
 *
 * <p>Public is what the gateway and the connector build on: the handler, the pipeline, the limits, the control
 * channel, and what the connector's local targets take and answer with (the stream request, the opener, the
 * errors they raise).
 *
 * @see <a href="../../../../../../protocol-spec/streams.md">protocol-spec/streams.md</a>
 */
package dev.mproxy.tunnel;
