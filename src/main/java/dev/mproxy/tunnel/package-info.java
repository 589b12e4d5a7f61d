/**
 * One tunnel carrying many logical streams: the stream table, the per-stream state machine (open,
 * half-closed each way, closed), per-stream {@code pause}/{@code resume} mapped onto socket writability and
 * {@code autoRead}, and whole-tunnel backpressure. Transport-neutral: it reads and writes
 * {@link dev.mproxy.protocol.MproxyMessage}s on a channel, which may be a WebSocket or a plain byte stream.
 *
 * @see <a href="../../../../../../protocol-spec/streams.md">protocol-spec/streams.md</a>
 */
package dev.mproxy.tunnel;
