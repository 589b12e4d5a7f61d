/**
 * Joins two endpoints: forwards what one reads to the other with flow control, carries each side's end
 * (half-close) and failure across, and taps the bytes for a recording, which sees them before the other side
 * does. Every byte path of the product is two endpoints joined by one {@link dev.mproxy.relay.Relay}: tunnel
 * streams ({@code dev.mproxy.tunnel}), rendezvous pairs ({@code dev.mproxy.rendezvous}) and the record proxy
 * ({@code dev.mproxy.recordproxy}). Endpoints are {@link dev.mproxy.relay.RelayEnd}s: a socket is a
 * {@link dev.mproxy.relay.ChannelEnd}, the other packages bring their own.
 *
 * <p>Threads: a relay, both its endpoints and its recording tap's listener run on one event loop
 * ({@link dev.mproxy.relay.EventLoops} moves a channel there); each asserts it, and tests run with assertions
 * on. Only the recording's writer threads ({@link dev.mproxy.relay.Recorder}) run elsewhere.
 *
 * @see <a href="../../../../../../protocol-spec/recording.md">protocol-spec/recording.md</a> §6
 */
package dev.mproxy.relay;
