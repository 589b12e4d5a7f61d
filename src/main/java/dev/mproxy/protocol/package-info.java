/**
 * The M-PROXY v1 wire format, byte-compatible with node's {@code proxy-packer@2.0.4}: message values, a
 * strict state-machine decoder, an encoder, limits and the one protocol exception type. No sockets here.
 *
 * @see <a href="../../../../../../protocol-spec/m-proxy-v1.md">protocol-spec/m-proxy-v1.md</a>
 */
package dev.mproxy.protocol;
