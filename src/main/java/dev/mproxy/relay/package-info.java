/**
 * Joins two endpoints: forwards what one reads to the other with flow control, carries each side's end
 * (half-close) and failure across, and taps the bytes for a recording, which sees them before the other side
 * does. Every byte path of the product is two endpoints joined by one {@link dev.mproxy.relay.Relay}: tunnel
 * streams, rendezvous pairs and the record proxy ({@code dev.mproxy.recordproxy}).
 *
 * @see <a href="../../../../../../protocol-spec/recording.md">protocol-spec/recording.md</a>
 */
package dev.mproxy.relay;
